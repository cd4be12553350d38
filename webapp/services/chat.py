"""Chatt (R7): every participant writes to everyone in the session."""

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import ActivityKind, ChatMessage, Participant
from webapp.services import activities, events
from webapp.services.errors import ServiceError
from webapp.services.text import lines

CHAT_MAX = 1000
HISTORY = 200  # lines a page shows when it (re)connects


def post_message(author: Participant, text: str) -> "ChatLine":
    # Control and bidi characters only a script sends: a NUL PostgreSQL
    # refuses, an escape sequence or a reversed line on every page.
    text = lines(text).strip()
    if not text:
        raise ServiceError(_l("Write a message first."), 400, field="message")
    if len(text) > CHAT_MAX:
        raise ServiceError(
            _l("A message can be at most %(max)d characters.", max=CHAT_MAX), 400, field="message"
        )
    if author.left_at is not None or not author.support_session.is_open:
        raise ServiceError(_l("You are no longer in this session."), 403)
    activities.ensure_running(author, ActivityKind.CHAT)
    # The hottest write of a busy site: plain INSERT … RETURNING, no unit of work.
    message_id, created_at = db.session.execute(
        sa.insert(ChatMessage)
        .values(support_session_id=author.support_session_id, participant_id=author.id, text=text)
        .returning(ChatMessage.id, ChatMessage.created_at)
    ).one()
    line = ChatLine(message_id, author.name, text, created_at, author.id)
    events.record(
        author.support_session, "chat", author, live={"line": line.as_dict()}, message_id=message_id
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
