"""Offers that nobody accepts (#17 item 5).

An offer still pending OFFER_TIMEOUT_SECONDS after it was made lapses: it
becomes EXPIRED (a SessionEvent "offer_expired" records it) and the session
moves on, to the next agent of its queue with room. An agent who let the
session's offer lapse is not offered it again in this round (since it began
waiting), so a transfer cannot circle between two agents who are not there.
When nobody is left:

- a transferred session goes back to the agent who transferred it, in
  control again; an Offer in state RETURNED tells that agent's Inkommande
  sessioner, and the customer's page says why the rep is back;
- a session a customer asked for from the request form stays in the queue,
  its customer told that every agent is busy. After another timeout with no
  offer out, a new round starts, the lapsed agents included (`new_rounds`),
  as a phone queue rings again.

Timing: every worker runs `sweep` from its presence reaper (live/__init__.py),
so the sweep must be safe to run twice at once. Each lapse is a
compare-and-set on the offer row, under the session row's lock, in one
transaction: of two workers only one moves a session on; the other finds the
offer decided, or the session no longer waiting, and does nothing.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    EndReason,
    Offer,
    OfferState,
    Participant,
    SessionState,
    SupportSession,
)
from webapp.models.base import utcnow
from webapp.services import acd, events


def sweep(now: datetime, timeout_seconds: float) -> int:
    """Lapses every overdue offer and starts the rounds that are due;
    returns how many offers lapsed."""
    cutoff = now - timedelta(seconds=timeout_seconds)
    overdue = db.session.scalars(
        sa.select(Offer.id)
        .join(SupportSession, SupportSession.id == Offer.support_session_id)
        .where(
            Offer.state == OfferState.PENDING,
            Offer.created_at <= cutoff,
            SupportSession.state == SessionState.QUEUED,
        )
        .order_by(Offer.id)
    ).all()
    db.session.commit()  # ends the read: each lapse is a transaction of its own
    lapsed = sum(lapse(offer_id, now) for offer_id in overdue)
    new_rounds(cutoff)
    return lapsed


def lapse(offer_id: int, now: datetime) -> bool:
    """One offer lapses and its session moves on; False when another worker
    (or an accept, or the session's end) decided it first."""
    offer = db.session.get(Offer, offer_id)
    # Lock order as everywhere in WebACD: the session row first.
    if offer is None or not acd.lock_queued(offer.support_session_id):
        db.session.rollback()
        return False
    won = db.session.execute(
        sa.update(Offer)
        .where(Offer.id == offer_id, Offer.state == OfferState.PENDING)
        .values(state=OfferState.EXPIRED, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        return False
    db.session.refresh(offer)
    support_session = db.session.get(SupportSession, offer.support_session_id)
    db.session.refresh(support_session)
    events.record(
        support_session, "offer_expired", agent_id=offer.agent_id, queue_id=offer.queue_id
    )
    # The agent's Inkommande sessioner drops the offer, as for a withdrawn one.
    events.notify_user(offer.agent_id, "offer_withdrawn", support_session_id=support_session.id)
    _move_on(support_session, now)
    db.session.commit()
    return True


def _move_on(support_session: SupportSession, now: datetime) -> None:
    if acd.pending_offers_of_session(support_session.id):
        return  # sent to several chosen agents: the others may still accept
    if support_session.queue_id is not None and acd.route(
        support_session, exclude=lapsed_agents(support_session)
    ):
        return
    rep_seat = transferring_seat(support_session)
    if rep_seat is not None:
        give_back(support_session, rep_seat, now)
    # else: a customer's own request waits on; its panel says every agent is busy.


def lapsed_agents(support_session: SupportSession) -> frozenset[int]:
    """Agents who let this session's offer lapse since it began waiting."""
    return frozenset(
        db.session.scalars(
            sa.select(Offer.agent_id).where(
                Offer.support_session_id == support_session.id,
                Offer.state == OfferState.EXPIRED,
                Offer.created_at >= support_session.queued_at,
            )
        )
    )


def transferring_seat(support_session: SupportSession) -> Participant | None:
    """The seat of the agent who transferred the session last; None for a
    session that came from the request form and was never with anyone."""
    seats = [
        seat
        for seat in support_session.participants
        if seat.left_reason == EndReason.TRANSFERRED and seat.user is not None and seat.user.active
    ]
    return max(seats, key=lambda seat: seat.left_at, default=None)


def give_back(support_session: SupportSession, rep_seat: Participant, now: datetime) -> None:
    """Nobody took the session: its rep is in control again, with a new seat."""
    agent = rep_seat.user
    acd.queue_moved(support_session)  # those behind move up
    events.bump_version(support_session)
    returned = Offer(
        support_session_id=support_session.id,
        agent_id=agent.id,
        queue_id=support_session.queue_id,
        queued_at=support_session.queued_at,
        state=OfferState.RETURNED,
        decided_at=now,
    )
    db.session.add(returned)
    support_session.state = SessionState.ACTIVE
    support_session.queued_at = None
    support_session.transfer_message = None
    seat = acd.take_control(support_session, agent)
    events.record(support_session, "returned_to_agent", seat, queue_id=support_session.queue_id)
    events.notify_user(agent.id, "session_returned", support_session_id=support_session.id)


def new_rounds(cutoff: datetime) -> None:
    """Waiting sessions with no offer out whose last lapse is a timeout old
    are offered again, to anyone in their queue with room."""
    last_lapse = (
        sa.select(sa.func.max(Offer.decided_at))
        .where(
            Offer.support_session_id == SupportSession.id,
            Offer.state == OfferState.EXPIRED,
            Offer.created_at >= SupportSession.queued_at,
        )
        .scalar_subquery()
    )
    offer_out = sa.exists().where(
        Offer.support_session_id == SupportSession.id, Offer.state == OfferState.PENDING
    )
    due = db.session.scalars(
        sa.select(SupportSession)
        .where(SupportSession.state == SessionState.QUEUED, ~offer_out, last_lapse <= cutoff)
        .order_by(SupportSession.queued_at, SupportSession.id)
    ).all()
    for support_session in due:
        acd.route(support_session)  # takes the row's lock and checks for offers out itself
        db.session.commit()


RETURNED_NOTICE = timedelta(minutes=30)  # how long the agent's pages say a session came back


def returned_lately_to(user) -> list[Offer]:
    """Sessions that came back to the agent lately and that it still controls."""
    if not user.is_agent:
        return []
    agent_id, since = user.id, utcnow() - RETURNED_NOTICE
    return list(
        db.session.scalars(
            sa.select(Offer)
            .join(SupportSession, SupportSession.id == Offer.support_session_id)
            .join(Participant, Participant.id == SupportSession.controller_id)
            .where(
                Offer.agent_id == agent_id,
                Offer.state == OfferState.RETURNED,
                Offer.decided_at >= since,
                SupportSession.state == SessionState.ACTIVE,
                Participant.user_id == agent_id,
            )
            .order_by(Offer.decided_at.desc())
        )
    )
