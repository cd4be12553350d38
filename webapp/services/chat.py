"""Chatt (R7): every participant writes to everyone in the session."""

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    ActivityKind,
    ChatMessage,
    Participant,
    SessionState,
)
from webapp.services import activities, audit, events
from webapp.services.chat_statements import event_params, line_statements
from webapp.services.errors import ServiceError
from webapp.services.text import lines

CHAT_MAX = 1000
NOT_SEATED = _l("You are no longer in this session.")
HISTORY = 200  # lines a page shows when it (re)connects


def post_message(author: Participant, text: str) -> "ChatLine":
    text = _checked(text)
    _check_seat(author.left_at, author.support_session.is_open)
    activities.ensure_running(author, ActivityKind.CHAT)
    # The hottest write of a busy site: plain INSERT … RETURNING, no unit of work.
    message_id, created_at = db.session.execute(
        sa.insert(ChatMessage)
        .values(support_session_id=author.support_session_id, participant_id=author.id, text=text)
        .returning(ChatMessage.id, ChatMessage.created_at)
    ).one()
    return _recorded(author, ChatLine(message_id, author.name, text, created_at, author.id))


def post_from_seat(participant_id: int, text: str) -> "ChatLine":
    """A line from a socket, the hottest write of a busy site (#18). On
    PostgreSQL in two round trips besides BEGIN and COMMIT: one reads the
    seat, locks the session's audit chain (so the seat is checked as it
    stands: a leave or an end that commits meanwhile is waited for, not
    raced), says whether Chatt runs and takes the line's id; the other writes
    the line, its event and the chain's new head together
    (chat_statements.py). The session's first line takes two more, to start
    Chatt."""
    text = _checked(text)
    if db.session.get_bind().dialect.name != "postgresql":
        author = db.session.get(Participant, participant_id, populate_existing=True)
        if author is None:
            raise ServiceError(NOT_SEATED, 403)
        return post_message(author, text)
    statements = line_statements()
    connection = db.session.connection()
    seat = connection.execute(statements.seat, {"participant_id": participant_id}).one_or_none()
    if seat is None:
        raise ServiceError(NOT_SEATED, 403)
    _check_seat(seat.left_at, seat.state != SessionState.ENDED)
    last_seq, head = seat.audit_seq, seat.audit_head
    if not seat.chat_running:  # the session's first line starts Chatt (R5.4)
        last_seq, head = _start_chat(connection, seat, participant_id)
    data = {"message_id": seat.message_id}
    link = audit.next_link(
        seat.support_session_id, seat.number, last_seq, head, "chat", participant_id, data
    )
    event_id = connection.execute(
        statements.write,
        {
            **event_params(seat.support_session_id, participant_id, "chat", link),
            "line_id": seat.message_id,
            "line_text": text,
            "link_seal": link.seal,
        },
    ).scalar_one()
    line = ChatLine(seat.message_id, seat.name, text, link.created_at, participant_id)
    events.publish_after_commit(
        seat.support_session_id,
        seat.window_user_id,
        "chat",
        event_id,
        data,
        live={"line": line.as_dict()},
        author=(participant_id, seat.name),
    )
    db.session.commit()
    return line


def _start_chat(connection: sa.Connection, seat: sa.Row, participant_id: int) -> tuple[int, str]:
    """Chatt's row and its event, as activities.ensure_running writes them,
    unless a line that committed while this one waited for the lock started
    it; returns the chain's head for the line's own link. Through the ORM
    a first line was eight statements, not four, and 200 sessions' first
    lines at once held the chat's first seconds back (#18)."""
    statements = line_statements()
    session_id = seat.support_session_id
    activity_id = connection.execute(statements.chat_check, {"session": session_id}).scalar()
    if activity_id is None:
        return seat.audit_seq, seat.audit_head
    data = {"activity_id": activity_id, "activity_kind": ActivityKind.CHAT}
    kind = "activity_started"
    link = audit.next_link(
        session_id, seat.number, seat.audit_seq, seat.audit_head, kind, participant_id, data
    )
    event_id = connection.execute(
        statements.chat_start,
        {
            **event_params(session_id, participant_id, kind, link),
            "activity_id": activity_id,
            "activity_kind": ActivityKind.CHAT,
        },
    ).scalar_one()
    events.publish_after_commit(
        session_id, seat.window_user_id, kind, event_id, data, author=(participant_id, seat.name)
    )
    return link.seq, link.hash


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


def _check_seat(left_at: datetime | None, session_open: bool) -> None:
    if left_at is not None or not session_open:
        raise ServiceError(NOT_SEATED, 403)


def _recorded(author: Participant, line: "ChatLine") -> "ChatLine":
    """The line's event, committed: published after the commit, never before."""
    events.record(
        author.support_session, "chat", author, live={"line": line.as_dict()}, message_id=line.id
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
