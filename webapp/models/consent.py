from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow


class ConsentDecision(StrEnum):
    ASKED = "asked"  # the prompt is on the customer's page, unanswered
    ALLOWED = "allowed"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class RecordingConsent(db.Model):
    """A customer's answer to "Supporten vill spela in sessionen" (#16 item 4):
    one row per customer seat, holding the latest decision. Every decision is
    also an event of the session's audit chain, which keeps the history."""

    __tablename__ = "recording_consents"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    participant_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("participants.id"), unique=True)
    decision: so.Mapped[ConsentDecision] = so.mapped_column(sa.String(16))
    decided_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
