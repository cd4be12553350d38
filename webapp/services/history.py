"""Sessionshistorik (#16 item 1): staff look back on sessions, ended and
running. A rep or an agent sees the sessions they took part in; an admin and
a supervisor see all. Filters come from the URL, so a search can be shared."""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    Activity,
    ChatMessage,
    Participant,
    ParticipantRole,
    Queue,
    SessionEvent,
    SessionFile,
    SupportSession,
    User,
)
from webapp.services.errors import ServiceError

PAGE_SIZE = 25
TEXT_MAX = 120
NO_SUCH_SESSION = _l("There is no session of yours with that number.")


@dataclass(frozen=True)
class Filters:
    number: str = ""
    customer: str = ""
    staff: str = ""
    queue_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def as_args(self, **changed) -> dict:
        """The query string of this search (another page of it, say)."""
        values = {
            "number": self.number,
            "customer": self.customer,
            "staff": self.staff,
            "queue": self.queue_id or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "page": self.page,
        }
        values.update(changed)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


@dataclass(frozen=True)
class Results:
    sessions: list[SupportSession]
    total: int
    page: int
    pages: int


def parse(args) -> Filters:
    """The filters from a query string; one clear refusal per bad field."""
    number = "".join(ch for ch in args.get("number", "") if ch.isdigit())
    if args.get("number", "").strip() and not number:
        raise ServiceError(_l("A session number has digits only."), 400, field="number")
    customer = " ".join(args.get("customer", "").split())[:TEXT_MAX]
    staff = " ".join(args.get("staff", "").split())[:TEXT_MAX]
    queue_id = parse_queue(args.get("queue", ""))
    date_from = parse_date(args.get("from", ""), "from")
    date_to = parse_date(args.get("to", ""), "to")
    if date_from and date_to and date_from > date_to:
        raise ServiceError(_l("The first date must come before the last."), 400, field="to")
    raw_page = args.get("page", "1").strip() or "1"
    if not raw_page.isdecimal() or not 0 < int(raw_page) < 100_000:
        raise ServiceError(_l("There is no such page of results."), 400, field="page")
    return Filters(number, customer, staff, queue_id, date_from, date_to, int(raw_page))


def parse_queue(raw: str) -> int | None:
    """A queue's id from the URL, or None for any queue; an unknown one is refused."""
    raw = raw.strip()
    if not raw:
        return None
    queue = db.session.get(Queue, int(raw)) if raw.isdecimal() and len(raw) < 10 else None
    if queue is None:
        raise ServiceError(_l("There is no such queue."), 400, field="queue")
    return queue.id


def parse_date(raw: str, field: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(
            _l("Write the date as YYYY-MM-DD, for example 2026-12-03."), 400, field=field
        ) from None


def sees_all(user: User) -> bool:
    return user.is_admin or user.is_supervisor


def _visible_to(user: User) -> sa.Select:
    query = sa.select(SupportSession)
    if not sees_all(user):
        took_part = sa.select(Participant.id).where(
            Participant.support_session_id == SupportSession.id, Participant.user_id == user.id
        )
        query = query.where(took_part.exists())
    return query


def _taking_part(role_clause, text: str):
    # A typed % or _ is a letter to look for, not a wildcard.
    literal = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{literal}%"
    matches = sa.or_(
        sa.func.lower(Participant.name).like(pattern, escape="\\"),
        sa.func.lower(sa.func.coalesce(Participant.email, "")).like(pattern, escape="\\"),
    )
    return (
        sa.select(Participant.id)
        .where(Participant.support_session_id == SupportSession.id, role_clause, matches)
        .exists()
    )


def _matching(user: User, filters: Filters) -> sa.Select:
    """The sessions of a search, before paging; the page and the CSV share it."""
    query = _visible_to(user)
    if filters.number:
        query = query.where(SupportSession.number.like(f"%{filters.number}%"))
    if filters.customer:
        query = query.where(
            _taking_part(Participant.role == ParticipantRole.CUSTOMER, filters.customer)
        )
    if filters.staff:
        query = query.where(
            _taking_part(Participant.role != ParticipantRole.CUSTOMER, filters.staff)
        )
    if filters.queue_id:
        query = query.where(SupportSession.queue_id == filters.queue_id)
    if filters.date_from:
        query = query.where(
            SupportSession.created_at >= datetime.combine(filters.date_from, time())
        )
    if filters.date_to:
        next_day = datetime.combine(filters.date_to + timedelta(days=1), time())
        query = query.where(SupportSession.created_at < next_day)
    return query


def search(user: User, filters: Filters) -> Results:
    query = _matching(user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if filters.page > pages:
        raise ServiceError(_l("There is no such page of results."), 400, field="page")
    sessions = db.session.scalars(
        query.options(so.selectinload(SupportSession.participants))
        .order_by(SupportSession.created_at.desc(), SupportSession.id.desc())
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    ).all()
    return Results(list(sessions), total, filters.page, pages)


def every_match(user: User, filters: Filters) -> Iterator[SupportSession]:
    """All sessions of a search, newest first, for the CSV export: read in
    batches, so 100,000 rows never sit in memory at once."""
    query = (
        _matching(user, filters)
        .options(so.selectinload(SupportSession.participants))
        .order_by(SupportSession.created_at.desc(), SupportSession.id.desc())
        .execution_options(yield_per=500)
    )
    yield from db.session.scalars(query)


def session_for(user: User, support_session_id: int) -> SupportSession:
    """A session the user may look back on; anyone else's is not there."""
    found = db.session.scalar(_visible_to(user).where(SupportSession.id == support_session_id))
    if found is None:
        raise ServiceError(NO_SUCH_SESSION, 404)
    return found


@dataclass(frozen=True)
class Record:
    events: list[SessionEvent]
    activities: list[Activity]
    chat: list[ChatMessage]
    files: list[SessionFile]
    participants: dict[int, Participant]


# What the timeline leaves out: the chat has its own transcript, and these
# say nothing a reader needs.
_QUIET = {"chat", "queue_moved", "microphone_reported", "line"}


def record_of(support_session: SupportSession) -> Record:
    """Everything the session kept, for its page."""
    sid = support_session.id
    events = db.session.scalars(
        sa.select(SessionEvent)
        .where(SessionEvent.support_session_id == sid, SessionEvent.kind.not_in(_QUIET))
        .order_by(SessionEvent.id)
    ).all()
    activities = db.session.scalars(
        sa.select(Activity).where(Activity.support_session_id == sid).order_by(Activity.id)
    ).all()
    chat = db.session.scalars(
        sa.select(ChatMessage).where(ChatMessage.support_session_id == sid).order_by(ChatMessage.id)
    ).all()
    files = db.session.scalars(
        sa.select(SessionFile).where(SessionFile.support_session_id == sid).order_by(SessionFile.id)
    ).all()
    participants = {p.id: p for p in support_session.participants}
    return Record(list(events), list(activities), list(chat), list(files), participants)
