from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow

COMMENT_MAX = 1000


class SessionRating(db.Model):
    """A customer's rating of an ended session (#16 item 4): one per customer
    seat; a second answer replaces the first. Reports read it (#16 item 2)."""

    __tablename__ = "session_ratings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    participant_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("participants.id"), unique=True)
    score: so.Mapped[int]  # 1 to 5
    comment: so.Mapped[str | None] = so.mapped_column(sa.String(COMMENT_MAX))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
