"""Chatt (R7): every participant writes to everyone in the session."""

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Activity, ActivityKind, ChatMessage, Participant, SupportSession
from webapp.models.base import utcnow
from webapp.services import activities, events
from webapp.services.errors import ServiceError
from webapp.services.text import lines

CHAT_MAX = 1000
HISTORY = 200  # lines a page shows when it (re)connects


def post_message(author: Participant, text: str) -> "ChatLine":
    text = _checked(text)
    _check_seat(author)
    activities.ensure_running(author, ActivityKind.CHAT)
    # The hottest write of a busy site: plain INSERT … RETURNING, no unit of work.
    message_id, created_at = db.session.execute(
        sa.insert(ChatMessage)
        .values(support_session_id=author.support_session_id, participant_id=author.id, text=text)
        .returning(ChatMessage.id, ChatMessage.created_at)
    ).one()
    return _recorded(author, ChatLine(message_id, author.name, text, created_at, author.id))


def post_from_seat(participant_id: int, text: str) -> "ChatLine":
    """A line from a socket. On PostgreSQL in two round trips besides BEGIN
    and COMMIT, where it took six (#18): one reads the seat with its session,
    locks the session's audit chain (so the seat is checked as it stands: a
    leave or an end that commits meanwhile is waited for, not raced), says
    whether Chatt runs and takes the line's id; the other writes the line,
    its event and the chain's new head together (audit.append)."""
    text = _checked(text)
    seat = (
        sa.select(Participant)
        .join(Participant.support_session)  # not aliased: FOR … OF names it
        .options(so.contains_eager(Participant.support_session))
        .where(Participant.id == participant_id)
        .execution_options(populate_existing=True)  # the head must be the locked one
    )
    if db.session.get_bind().dialect.name != "postgresql":
        author = db.session.scalar(seat)
        if author is None:
            raise ServiceError(_l("You are no longer in this session."), 403)
        return post_message(author, text)
    chat_running = sa.exists().where(
        Activity.support_session_id == Participant.support_session_id,
        Activity.kind == ActivityKind.CHAT,
        Activity.ended_at.is_(None),
    )
    next_id = sa.func.nextval(sa.func.pg_get_serial_sequence(ChatMessage.__tablename__, "id"))
    row = db.session.execute(
        seat.add_columns(chat_running, next_id).with_for_update(of=SupportSession, key_share=True)
    ).one_or_none()
    if row is None:
        raise ServiceError(_l("You are no longer in this session."), 403)
    author, running, message_id = row
    _check_seat(author)
    if not running:  # the session's first line starts Chatt (R5.4)
        activities.ensure_running(author, ActivityKind.CHAT)
    line = ChatLine(message_id, author.name, text, utcnow(), author.id)
    insert = sa.insert(ChatMessage).values(
        id=line.id,
        support_session_id=author.support_session_id,
        participant_id=author.id,
        text=text,
        created_at=line.created_at,
    )
    return _recorded(author, line, chain_locked=True, alongside=(insert,))


def _checked(text: str) -> str:
    # Control and bidi characters only a script sends: a NUL PostgreSQL
    # refuses, an escape sequence or a reversed line on every page.
    text = lines(text).strip()
    if not text:
        raise ServiceError(_l("Write a message first."), 400, field="message")
    if len(text) > CHAT_MAX:
        raise ServiceError(
            _l("A message can be at most %(max)d characters.", max=CHAT_MAX), 400, field="message"
        )
    return text


def _check_seat(author: Participant) -> None:
    if author.left_at is not None or not author.support_session.is_open:
        raise ServiceError(_l("You are no longer in this session."), 403)


def _recorded(author: Participant, line: "ChatLine", **chained) -> "ChatLine":
    """The line's event, committed: published after the commit, never before."""
    events.record(
        author.support_session,
        "chat",
        author,
        live={"line": line.as_dict()},
        message_id=line.id,
        **chained,
    )
    db.session.commit()
    return line


@dataclass(frozen=True)
class ChatLine:
    """What a chat line shows; travels on the bus so no socket reads it back."""

    id: int
    author_name: str
    text: str
    created_at: datetime
    # Lets a page tell its own lines from the others' (unread counts, #17).
    participant_id: int | None = None

    def as_dict(self) -> dict:
        return {**asdict(self), "created_at": self.created_at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict) -> "ChatLine":
        return cls(**{**data, "created_at": datetime.fromisoformat(data["created_at"])})


def recent_messages(support_session_id: int, since: datetime | None = None) -> list[ChatMessage]:
    query = sa.select(ChatMessage).where(ChatMessage.support_session_id == support_session_id)
    if since is not None:
        query = query.where(ChatMessage.created_at >= since)
    newest = list(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(HISTORY)))
    return newest[::-1]


def history_for(viewer: Participant) -> list[ChatMessage]:
    """Staff read the whole chat; a customer only what was said since they
    joined (#13 item 5): another customer's earlier words are not theirs,
    and a guessed session number must not open them."""
    return recent_messages(viewer.support_session_id, None if viewer.is_staff else viewer.joined_at)
