from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow


class OutboxMessage(db.Model):
    """Every mail the site sends, kept so an admin can read it without SMTP."""

    __tablename__ = "outbox_messages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    delivered: so.Mapped[bool] = so.mapped_column(default=False)
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
