from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow


class StaffNote(db.Model):
    """Anteckningar (#16 item 1): what staff write about a session for each
    other, never shown to a customer. The author's name is kept as written,
    so a note still says who wrote it after the account is gone."""

    __tablename__ = "staff_notes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    author_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
