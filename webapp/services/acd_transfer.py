"""Putting a session into WebACD: a rep transfers it (R6.1-R6.4), or a
customer asks for help from the site's request form (#8 item 7)."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    EndReason,
    Offer,
    Participant,
    Queue,
    SessionState,
    SupportSession,
    User,
)
from webapp.models.base import utcnow
from webapp.services import acd, activities, agent_loads, business_hours, events, sessions
from webapp.services.errors import ServiceError
from webapp.services.text import lines
from webapp.services.validation import clean_email, clean_name

MESSAGE_MAX = 345  # R6.3


@dataclass
class Transfer:
    queue: Queue | None
    offers: list[Offer]


def clean_message(message: str | None, field: str = "message") -> str | None:
    """R6.3. A browser sends a textarea's line breaks as CRLF; they count as
    one character each, as the page's counter shows them."""
    text = lines(message or "").strip()
    if len(text) > MESSAGE_MAX:
        raise ServiceError(
            _l(
                "The message can be at most %(max)d characters; this one has %(count)d.",
                max=MESSAGE_MAX,
                count=len(text),
            ),
            400,
            field=field,
        )
    return text or None


def transfer_to_queue(actor: Participant, queue_id: int | None, message: str | None) -> Transfer:
    """R6.2: exactly one queue; it needs agents, though none need be free now."""
    check_may_transfer(actor)
    message = clean_message(message)
    queue = db.session.get(Queue, queue_id) if queue_id is not None else None
    if queue is None:
        raise ServiceError(_l("Choose a queue."), 400, field="queue")
    if not agent_loads.queue_agents(queue.id):
        raise ServiceError(
            _l("The queue %(name)s has no agents. Choose another queue.", name=queue.name),
            409,
            field="queue",
        )
    business_hours.check_open(queue, utcnow())
    _hand_over(actor, queue, message)
    offers = acd.route(actor.support_session, exclude=frozenset({actor.user_id}))
    db.session.commit()
    acd.after_seats_closed(actor.support_session, {actor.user_id})
    return Transfer(queue, offers)


def transfer_to_agents(actor: Participant, agent_ids: list[int], message: str | None) -> Transfer:
    """R6.2: one or more agents; each one who is available with room gets the offer."""
    check_may_transfer(actor)
    message = clean_message(message)
    if not agent_ids:
        raise ServiceError(_l("Choose at least one agent."), 400, field="agents")
    chosen = [agent for agent in agent_loads.agents() if agent.id in set(agent_ids)]
    if len(chosen) != len(set(agent_ids)) or actor.user_id in agent_ids:
        raise ServiceError(_l("Choose agents from the list."), 400, field="agents")
    ready = [load.agent for load in agent_loads.loads(chosen) if load.has_room]
    if not ready:
        raise ServiceError(
            _l("None of the chosen agents is available right now. Choose another, or a queue."),
            409,
            field="agents",
        )
    _hand_over(actor, None, message)
    offers = []
    for agent in ready:
        if agent_loads.claim_room(agent):
            offers.append(acd.offer_to(actor.support_session, agent))
    if not offers:  # filled up in the meantime
        db.session.rollback()
        raise ServiceError(_l("None of the chosen agents is available right now."), 409)
    db.session.commit()
    acd.after_seats_closed(actor.support_session, {actor.user_id})
    return Transfer(None, offers)


def check_may_transfer(actor: Participant) -> None:
    """R6.1: who may transfer a session to WebACD, for the dialog and the
    transfer alike: an agent in control of an active session."""
    if actor.support_session.state != SessionState.ACTIVE:
        raise ServiceError(_l("This session is not active."), 409)
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can transfer the session."), 403)
    if actor.user is None or not actor.user.is_agent:
        raise ServiceError(
            _l("Only WebACD agents can transfer a session to a queue or to agents."), 403
        )


def _hand_over(actor: Participant, queue: Queue | None, message: str | None) -> None:
    """R6.4: the session waits for an agent, every activity ends (the voice
    call too), and the rep's part is over."""
    support_session = actor.support_session
    events.bump_version(support_session)
    now = utcnow()
    support_session.state = SessionState.QUEUED
    support_session.queue_id = queue.id if queue else None
    support_session.transfer_message = message
    support_session.queued_at = now
    support_session.controller = None
    actor.left_at, actor.left_reason = now, EndReason.TRANSFERRED
    activities.end_running(support_session, EndReason.TRANSFERRED)
    events.record(
        support_session,
        "transferred_to_acd",
        actor,
        queue_id=support_session.queue_id,
    )
    if support_session.window_user_id is not None:
        # The session is no longer the rep's: its tab in the rep's
        # Flersessionsfönster goes (R3.4), after the event above reached it.
        events.notify_user(
            support_session.window_user_id, "tab_closed", support_session_id=support_session.id
        )
        support_session.window_user_id = None
    db.session.flush()


def request_help(queue_id: int | None, name: str, email: str, problem: str):
    """Item 7: a customer asks for help; the session starts waiting in the
    queue with the customer in it, and the problem goes to the agents as the
    message. Returns the customer's seat and the secret its browser keeps."""
    name = clean_name(name)
    email = clean_email(email)
    problem = clean_message(problem, field="problem")
    if not problem:
        raise ServiceError(_l("Tell us briefly what the problem is."), 400, field="problem")
    queue = db.session.get(Queue, queue_id) if queue_id is not None else None
    members = agent_loads.queue_agents(queue.id) if queue else []
    if not members:
        raise ServiceError(_l("Choose a queue."), 400, field="queue")
    business_hours.check_open(queue, utcnow())
    support_session = _new_queued_session(queue, problem)
    customer, secret = sessions.seat_customer(support_session, name, email)
    events.record(support_session, "requested", customer, queue_id=queue.id)
    acd.route(support_session)
    db.session.commit()
    return customer, secret


def _new_queued_session(queue: Queue, problem: str) -> SupportSession:
    """A session no rep started: it begins waiting in the queue."""
    return sessions.add_numbered_session(
        state=SessionState.QUEUED,
        queue_id=queue.id,
        transfer_message=problem,
        queued_at=utcnow(),
    )


def closed_now(queues: list[Queue]) -> dict[int, str]:
    """The queues out of hours now, each with what the customer or agent is told."""
    now = utcnow()
    return {
        queue.id: business_hours.closed_message(queue, now)
        for queue in queues
        if not business_hours.is_open(queue, now)
    }


def open_queues() -> list[Queue]:
    """Queues a customer may ask for help in: those with agents."""
    return list(
        db.session.scalars(
            sa.select(Queue).where(Queue.members.any(User.role == "agent")).order_by(Queue.name)
        )
    )
