from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow


class MailState(StrEnum):
    LOGGED = "logged"  # no MAIL_SERVER: written to the log, never sent
    QUEUED = "queued"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"  # every try failed; `flask outbox retry` tries again


class OutboxMessage(db.Model):
    """Every mail the site sends: sent after the request's commit by the
    sender thread, tried again with back-off until SMTP takes it (#14)."""

    __tablename__ = "outbox_messages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    # The text to send; its invitation token is cut once it is sent or given up.
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    delivered: so.Mapped[bool] = so.mapped_column(default=False)
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    state: so.Mapped[MailState] = so.mapped_column(
        sa.String(16), default=MailState.QUEUED, server_default="sent", index=True
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_try_at: so.Mapped[datetime | None]
    invitation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("invitations.id", name="fk_outbox_invitation"), index=True
    )
