"""How busy each WebACD agent is (R6.6): present seats, offers waiting
for an answer, and the room left under the agent's capacity. Routing (acd),
transfers and the admin pages all count the same way."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Offer,
    OfferState,
    Participant,
    Role,
    SessionState,
    SupportSession,
    User,
)
from webapp.models.acd import queue_members
from webapp.services import customers

NEVER = datetime.min  # an agent that never had work has been idle longest (R6.6)


@dataclass
class AgentLoad:
    agent: User
    seats: int  # present seats in open sessions
    pending: int  # offers waiting for the agent's answer

    @property
    def room(self) -> int:
        """Places left: an offer holds one until it is answered or withdrawn."""
        return max(0, self.agent.acd_capacity - self.seats - self.pending)

    @property
    def has_room(self) -> bool:
        return self.agent.available and self.room > 0

    def idle_order(self) -> tuple:
        """Least busy first, then longest idle; the id keeps the order stable."""
        return (self.seats + self.pending, self.agent.idle_since or NEVER, self.agent.id)


def loads(agents: list[User]) -> list[AgentLoad]:
    ids = [agent.id for agent in agents]
    seats = dict(
        db.session.execute(
            sa.select(Participant.user_id, sa.func.count(Participant.id))
            .join(SupportSession, SupportSession.id == Participant.support_session_id)
            .where(
                Participant.user_id.in_(ids),
                Participant.left_at.is_(None),
                SupportSession.state != SessionState.ENDED,
            )
            .group_by(Participant.user_id)
        ).all()
    )
    # Only offers of sessions still waiting hold a place (#13 item 3).
    pending = dict(
        db.session.execute(
            sa.select(Offer.agent_id, sa.func.count(Offer.id))
            .join(SupportSession, SupportSession.id == Offer.support_session_id)
            .where(
                Offer.agent_id.in_(ids),
                Offer.state == OfferState.PENDING,
                SupportSession.state == SessionState.QUEUED,
            )
            .group_by(Offer.agent_id)
        ).all()
    )
    return [AgentLoad(agent, seats.get(agent.id, 0), pending.get(agent.id, 0)) for agent in agents]


def agents() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == Role.AGENT, User.active).order_by(User.name)
        )
    )


def queue_agents(queue_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(queue_members, queue_members.c.user_id == User.id)
            .where(queue_members.c.queue_id == queue_id, User.role == Role.AGENT, User.active)
            .order_by(User.id)
        )
    )


def claim_room(agent: User) -> bool:
    """Serialises capacity checks for one agent (customers.lock_seats), then counts
    again: another transaction may have filled the agent meanwhile."""
    customers.lock_seats(agent)
    db.session.refresh(agent)
    return loads([agent])[0].has_room


def agents_among(user_ids: set[int]) -> list[User]:
    if not user_ids:
        return []
    return list(
        db.session.scalars(sa.select(User).where(User.id.in_(user_ids), User.role == Role.AGENT))
    )
