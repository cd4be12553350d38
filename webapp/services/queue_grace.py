"""A customer who is not there while the session waits for an agent (#13
item 3).

Presence gives every page PRESENCE_GRACE_SECONDS. A customer waiting in a
queue keeps its place longer, QUEUE_GRACE_SECONDS counted from the moment its
page went (presence's `hold`), so a phone that backgrounds the tab for a
minute is still in line when it comes back. After that the customer leaves
the queue; when nobody is left the session ends as abandoned, its offers go
and the agents have their places back (`acd.after_seats_closed`). A request
whose page never opened counts from the request: its route expects a socket.
"""

from datetime import datetime

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import EndReason, Participant, ParticipantRole, SessionState, SupportSession
from webapp.services import acd, sessions
from webapp.services.errors import ServiceError


def _customer(
    support_session_id: int, participant_id: int, deadline_set_at: datetime
) -> Participant | None:
    seat = db.session.get(Participant, participant_id)
    if seat is None or seat.support_session_id != support_session_id or seat.is_staff:
        return None
    if seat.joined_at > deadline_set_at + sessions.CLOCK_SKEW:
        return None  # a deadline older than the seat is someone else's (#19)
    return seat


def keeps_place(support_session_id: int, participant_id: int, deadline_set_at: datetime) -> bool:
    """Whether a participant whose page grace ran out is a customer waiting
    in a queue: its place is then held for the queue's grace instead."""
    seat = _customer(support_session_id, participant_id, deadline_set_at)
    return (
        seat is not None
        and seat.left_at is None
        and seat.support_session.state == SessionState.QUEUED
    )


def grace_over(support_session_id: int, participant_id: int, deadline_set_at: datetime) -> bool:
    """The queue's grace ran out with the customer still away: it leaves the
    queue, and the last one out ends the session as abandoned. True when that
    is settled; False when the session changed at the same moment (a lost
    compare-and-set), and the caller tries again."""
    seat = _customer(support_session_id, participant_id, deadline_set_at)
    if seat is None:
        return True
    support_session = seat.support_session
    if support_session.state != SessionState.QUEUED:
        # An agent took the session meanwhile, or it ended: like any closed page.
        sessions.participant_gone(support_session_id, participant_id, deadline_set_at)
        return True
    try:
        sessions.leave(seat, reason=EndReason.GONE)
        db.session.refresh(support_session)
        if _nobody_waits(support_session):
            # The seat closed on an earlier try, but ending the session lost
            # to another writer then.
            acd.after_seats_closed(support_session, set())
            db.session.refresh(support_session)
    except ServiceError:
        db.session.rollback()
        return False
    return not _nobody_waits(support_session)


def waiting_customers() -> list[tuple[int, int]]:
    """(participant, session) of every customer present in a waiting session."""
    rows = db.session.execute(
        sa.select(Participant.id, Participant.support_session_id)
        .join(SupportSession, SupportSession.id == Participant.support_session_id)
        .where(
            SupportSession.state == SessionState.QUEUED,
            Participant.role == ParticipantRole.CUSTOMER,
            Participant.left_at.is_(None),
        )
    )
    return [(participant_id, support_session_id) for participant_id, support_session_id in rows]


def _nobody_waits(support_session) -> bool:
    return (
        support_session.state == SessionState.QUEUED and not support_session.present_participants()
    )
