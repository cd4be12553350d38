from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.models.support_session import Participant


class ChatMessage(db.Model):
    """A line of Chatt (R7): text only, kept with the session."""

    __tablename__ = "chat_messages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    participant_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("participants.id"))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    author: so.Mapped[Participant] = so.relationship(lazy="joined")

    @property
    def author_name(self) -> str:
        return self.author.name
