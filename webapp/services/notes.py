"""Anteckningar (#16 item 1): staff write notes on a session, during it or
after, for each other. A customer never sees them; the agent a session is
offered to reads them beside the transfer message before accepting."""

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Offer, OfferState, StaffNote, SupportSession, User
from webapp.services import history
from webapp.services.errors import ServiceError
from webapp.services.text import lines

NOTE_MAX = 1000


def readable_session(user: User, support_session_id: int) -> SupportSession:
    """The session whose notes the user may read: one they may look back on
    (history's rule), or one offered to them right now."""
    try:
        return history.session_for(user, support_session_id)
    except ServiceError:
        offered = db.session.scalar(
            sa.select(Offer.id).where(
                Offer.support_session_id == support_session_id,
                Offer.agent_id == user.id,
                Offer.state == OfferState.PENDING,
            )
        )
        if offered is None:
            raise
        return db.session.get(SupportSession, support_session_id)


def notes_of(support_session_id: int) -> list[StaffNote]:
    return list(
        db.session.scalars(
            sa.select(StaffNote)
            .where(StaffNote.support_session_id == support_session_id)
            .order_by(StaffNote.id)
        )
    )


def notes_of_sessions(support_session_ids: list[int]) -> dict[int, list[StaffNote]]:
    """Every offered session's notes in one query, for Inkommande sessioner."""
    found: dict[int, list[StaffNote]] = defaultdict(list)
    if support_session_ids:
        for note in db.session.scalars(
            sa.select(StaffNote)
            .where(StaffNote.support_session_id.in_(support_session_ids))
            .order_by(StaffNote.id)
        ):
            found[note.support_session_id].append(note)
    return found


def may_write(user: User, support_session_id: int) -> bool:
    try:
        history.session_for(user, support_session_id)
    except ServiceError:
        return False
    return True


def add(user: User, support_session_id: int, body: str) -> StaffNote:
    """Staff who took part (or see every session) write; an agent who is only
    offered the session reads and decides."""
    support_session = history.session_for(user, support_session_id)
    body = lines(body or "").strip()
    if not body:
        raise ServiceError(_l("Write the note first."), 400, field="body")
    if len(body) > NOTE_MAX:
        raise ServiceError(
            _l("A note can be at most %(max)d characters.", max=NOTE_MAX), 400, field="body"
        )
    note = StaffNote(
        support_session_id=support_session.id, author_id=user.id, author_name=user.name, body=body
    )
    db.session.add(note)
    db.session.commit()
    return note
