"""WebACD routing (R6.5, R6.6): offers, agents' availability and capacity,
and accepting a transferred session.

Lock order, so that two transactions never wait on each other in a circle on
PostgreSQL: a session row first, then agent rows. Availability changes commit
the agent row on its own before they route, for that reason.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    EndReason,
    Offer,
    OfferState,
    Participant,
    ParticipantRole,
    Queue,
    SessionState,
    SupportSession,
    User,
)
from webapp.models.acd import queue_members
from webapp.models.base import utcnow
from webapp.services import agent_loads, customers, events, sessions
from webapp.services.errors import ServiceError


def route(support_session: SupportSession, exclude: frozenset[int] = frozenset()) -> list[Offer]:
    """R6.6, in the caller's transaction: a session in a queue is offered to
    one agent at a time, the least busy and longest idle with room; a session
    sent to chosen agents is offered to each of them who has room. With no
    room anywhere it waits until `route` is called again."""
    if not lock_queued(support_session.id):
        return []
    pending = pending_offers_of_session(support_session.id)
    if support_session.queue_id is not None:
        if pending:
            return []
        candidates = agent_loads.queue_agents(support_session.queue_id)
    else:
        offered = {offer.agent_id for offer in pending}
        candidates = [a for a in _chosen_agents(support_session) if a.id not in offered]
    # R6.4: whoever handed the session over is done with it, on every path
    # that routes it (a transfer, an agent freeing up, one coming back).
    exclude = exclude | _handed_over_by(support_session)
    ready = [
        load
        for load in agent_loads.loads(candidates)
        if load.has_room and load.agent.id not in exclude
    ]
    offers = []
    for load in sorted(ready, key=agent_loads.AgentLoad.idle_order):
        if agent_loads.claim_room(load.agent):
            offers.append(offer_to(support_session, load.agent))
            if support_session.queue_id is not None:
                break
    return offers


def _handed_over_by(support_session: SupportSession) -> frozenset[int]:
    return frozenset(
        seat.user_id
        for seat in support_session.participants
        if seat.left_reason == EndReason.TRANSFERRED and seat.user_id is not None
    )


def route_waiting_for(agent: User) -> None:
    """The agent became available or freed up: waiting sessions it may take
    are routed again, oldest first, in their own transaction."""
    for support_session in _waiting_for(agent):
        route(support_session)
    db.session.commit()


def pending_offers_of_session(support_session_id: int) -> list[Offer]:
    return list(
        db.session.scalars(
            sa.select(Offer).where(
                Offer.support_session_id == support_session_id,
                Offer.state == OfferState.PENDING,
            )
        )
    )


def pending_offers_of(agent: User) -> list[Offer]:
    """The agent's Inkommande sessioner: offers of sessions still waiting."""
    return list(
        db.session.scalars(
            sa.select(Offer)
            .join(SupportSession, SupportSession.id == Offer.support_session_id)
            .where(
                Offer.agent_id == agent.id,
                Offer.state == OfferState.PENDING,
                SupportSession.state == SessionState.QUEUED,
            )
            .order_by(SupportSession.queued_at, Offer.id)
        )
    )


def queue_place(support_session: SupportSession) -> int | None:
    """The session's place in its queue (1 = next), the same for all its customers."""
    if support_session.state != SessionState.QUEUED or support_session.queue_id is None:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count(SupportSession.id)).where(
            SupportSession.queue_id == support_session.queue_id,
            SupportSession.state == SessionState.QUEUED,
            sa.tuple_(SupportSession.queued_at, SupportSession.id)
            < (support_session.queued_at, support_session.id),
        )
    )
    return ahead + 1


def accept_offer(agent: User, offer_id: int) -> SupportSession:
    """R6.5: the first agent to accept takes control; the others' offers go."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.agent_id != agent.id:
        raise ServiceError(_l("There is no such offer for you."), 404)
    if offer.state != OfferState.PENDING:
        raise ServiceError(_l("This session is no longer waiting for you."), 409)
    support_session = db.session.get(SupportSession, offer.support_session_id)
    # The state compare-and-set is the race: of two agents accepting at once,
    # only one UPDATE still finds the session queued.
    taken = db.session.execute(
        sa.update(SupportSession)
        .where(SupportSession.id == support_session.id, SupportSession.state == SessionState.QUEUED)
        .values(state=SessionState.ACTIVE, version=SupportSession.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.rollback()
        raise ServiceError(_l("Another agent has already accepted this session."), 409)
    db.session.refresh(support_session)
    # R3.5 holds for WebACD too: the waiting customers count against the agent
    # who takes them (customers.hold_seat_for skips queued sessions). It takes
    # the agent's seat lock, so two accepts count in turn.
    customers.check_room_for(agent, support_session)
    seat = take_control(support_session, agent)
    now = utcnow()
    offer.state, offer.decided_at = OfferState.ACCEPTED, now
    for other in pending_offers_of_session(support_session.id):
        withdraw(other)
    agent.idle_since = now
    events.notify_user(agent.id, "offer_accepted", support_session_id=support_session.id)
    events.record(support_session, "offer_accepted", seat, queue_id=support_session.queue_id)
    queue_moved(support_session)
    support_session.queued_at = None  # out of the queue: its end moves nobody up
    db.session.commit()
    return support_session


@events.listen(events.SESSION_CLOSING)
def withdraw_offers(support_session: SupportSession) -> set[int]:
    """An ending session's offers go, in the caller's transaction; returns
    the agents they were for."""
    offers = pending_offers_of_session(support_session.id)
    for offer in offers:
        withdraw(offer)
    return {offer.agent_id for offer in offers}


def withdraw(offer: Offer) -> None:
    offer.state, offer.decided_at = OfferState.WITHDRAWN, utcnow()
    events.notify_user(
        offer.agent_id, "offer_withdrawn", support_session_id=offer.support_session_id
    )


def queue_moved(left: SupportSession) -> None:
    """A session left its queue: the ones behind it move up, and their
    customers see their new place (R6.6)."""
    if left.queue_id is None or left.queued_at is None:
        return
    behind = db.session.scalars(
        sa.select(SupportSession)
        .where(
            SupportSession.queue_id == left.queue_id,
            SupportSession.state == SessionState.QUEUED,
            SupportSession.queued_at >= left.queued_at,
            SupportSession.id != left.id,
        )
        # Each event locks its session's chain: always in one order, so two
        # sessions leaving one queue at once cannot wait on each other.
        .order_by(SupportSession.id)
    )
    for support_session in behind:
        events.record(support_session, "queue_moved")


def after_seats_closed(
    support_session: SupportSession, user_ids: set[int], offered_ids: set[int] = frozenset()
) -> None:
    """Called after a commit that closed seats (and, for an
    ended session, withdrew its offers to `offered_ids`): agents with nothing
    left to do start their idle time, and what waits is routed at once to
    every agent who has room again (R6.6, #13 item 3)."""
    if support_session.state == SessionState.QUEUED and not support_session.present_participants():
        _end_abandoned(support_session)
    elif not support_session.is_open:
        queue_moved(support_session)
    freed = [
        load.agent
        for load in agent_loads.loads(agent_loads.agents_among(user_ids))
        if load.seats == 0
    ]
    for agent in freed:
        agent.idle_since = utcnow()
    db.session.commit()
    for agent in agent_loads.agents_among(set(user_ids) | set(offered_ids)):
        if agent.available:
            route_waiting_for(agent)


@events.listen(events.SEATS_CLOSED)
def _seats_closed(
    support_session: SupportSession, user_ids: set[int], offered_ids: set[int] = frozenset()
) -> None:
    # Looked up at call time, so a test may put a failing one in its place.
    after_seats_closed(support_session, user_ids, offered_ids)


def _end_abandoned(support_session: SupportSession) -> None:
    """The last customer left a waiting session: nobody is left to help, so
    it ends (the one way sessions end) instead of reaching an agent empty."""
    if not lock_queued(support_session.id):
        return
    db.session.refresh(support_session)
    if support_session.present_participants():
        db.session.rollback()
        return  # someone joined meanwhile
    sessions.end_abandoned(support_session)


def take_control(support_session: SupportSession, agent: User) -> Participant:
    """The agent's seat becomes the controlling rep; an agent already
    assisting the session keeps its seat."""
    seat = db.session.scalar(
        sa.select(Participant).where(
            Participant.support_session_id == support_session.id,
            Participant.user_id == agent.id,
            Participant.left_at.is_(None),
        )
    )
    if seat is None:
        seat = Participant(
            support_session=support_session, role=ParticipantRole.REP, user=agent, name=agent.name
        )
        db.session.add(seat)
        db.session.flush()
    seat.role = ParticipantRole.REP
    support_session.controller = seat
    return seat


def offer_to(support_session: SupportSession, agent: User) -> Offer:
    offer = Offer(
        support_session_id=support_session.id,
        agent_id=agent.id,
        queue_id=support_session.queue_id,
        message=support_session.transfer_message,
        queued_at=support_session.queued_at,
    )
    db.session.add(offer)
    db.session.flush()
    events.notify_user(agent.id, "offer", support_session_id=support_session.id)
    return offer


def lock_queued(support_session_id: int) -> bool:
    """Takes the session row's lock (a no-op UPDATE also locks on SQLite);
    False when the session no longer waits."""
    return (
        db.session.execute(
            sa.update(SupportSession)
            .where(
                SupportSession.id == support_session_id,
                SupportSession.state == SessionState.QUEUED,
            )
            .values(state=SupportSession.state)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _chosen_agents(support_session: SupportSession) -> list[User]:
    """For a session sent to chosen agents: the agents it was offered to
    since this transfer (the offers are its memory of the choice)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Offer, Offer.agent_id == User.id)
            .where(
                Offer.support_session_id == support_session.id,
                Offer.created_at >= support_session.queued_at,
            )
            .distinct()
        )
    )


def _waiting_for(agent: User) -> list[SupportSession]:
    in_queues = sa.select(queue_members.c.queue_id).where(queue_members.c.user_id == agent.id)
    chose_agent = sa.exists().where(
        Offer.support_session_id == SupportSession.id,
        Offer.agent_id == agent.id,
        Offer.created_at >= SupportSession.queued_at,
    )
    return list(
        db.session.scalars(
            sa.select(SupportSession)
            .where(
                SupportSession.state == SessionState.QUEUED,
                sa.or_(
                    SupportSession.queue_id.in_(in_queues),
                    sa.and_(SupportSession.queue_id.is_(None), chose_agent),
                ),
            )
            .order_by(SupportSession.queued_at, SupportSession.id)
        )
    )


def queues() -> list[Queue]:
    return list(db.session.scalars(sa.select(Queue).order_by(Queue.name)))
