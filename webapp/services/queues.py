"""WebACD queues and their agents, kept by the admin page and the CLI (#8 item 1)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Queue, Role, User
from webapp.services import acd, events
from webapp.services.errors import ServiceError
from webapp.services.text import one_line

QUEUE_NAME_MAX = 80
CAPACITY_MAX = 20  # sessions at once an admin may give one agent


def create_queue(name: str, agent_emails: list[str] = ()) -> Queue:
    name = _free_name(name)
    queue = Queue(name=name, members=[agent_by_email(email) for email in agent_emails])
    db.session.add(queue)
    db.session.commit()
    return queue


def rename_queue(queue: Queue, name: str) -> None:
    """Waiting sessions and offers keep the queue; every page shows the new name."""
    queue.name = _free_name(name, queue.id)
    db.session.commit()


def _free_name(name: str, queue_id: int | None = None) -> str:
    """The name with its spaces tidied, if no other queue has it."""
    name = one_line(name)
    if not name:
        raise ServiceError(_l("Please enter a name."), 400, field="name")
    if len(name) > QUEUE_NAME_MAX:
        raise ServiceError(
            _l("A name can be at most %(max)d characters.", max=QUEUE_NAME_MAX), 400, field="name"
        )
    holder = db.session.scalar(sa.select(Queue.id).where(Queue.name == name))
    if holder is not None and holder != queue_id:
        raise ServiceError(_l("A queue with that name already exists."), 409, field="name")
    return name


def agent_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or user.role != Role.AGENT:
        raise ServiceError(
            _l("%(email)s is not a WebACD agent.", email=email.strip()), 400, field="agent"
        )
    return user


def add_agent(queue: Queue, agent: User) -> None:
    if agent.role != Role.AGENT:
        raise ServiceError(_l("%(email)s is not a WebACD agent.", email=agent.email), 400, "agent")
    if agent not in queue.members:
        queue.members.append(agent)
        db.session.commit()
        if agent.available:  # sessions waiting in this queue may go to it now (R6.6)
            acd.route_waiting_for(agent)


def remove_agent(queue: Queue, agent: User) -> None:
    """Offers already made stay with the agent; new ones go to the others."""
    if agent in queue.members:
        queue.members.remove(agent)
        db.session.commit()


def get_queue(queue_id: int) -> Queue:
    queue = db.session.get(Queue, queue_id)
    if queue is None:
        raise ServiceError(_l("There is no such queue."), 404)
    return queue


def get_agent(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.AGENT:
        raise ServiceError(_l("There is no such agent."), 404)
    return user


def set_capacity(agent: User, capacity: int) -> None:
    if not agent.is_agent:
        raise ServiceError(_l("Only WebACD agents have a capacity."), 400)
    if not 1 <= capacity <= CAPACITY_MAX:
        raise ServiceError(
            _l("Capacity must be a number from 1 to %(max)d.", max=CAPACITY_MAX), 400, "capacity"
        )
    grew = capacity > agent.acd_capacity
    agent.acd_capacity = capacity
    events.notify_user(agent.id, "capacity", capacity=capacity)
    db.session.commit()
    if grew:
        acd.route_waiting_for(agent)
