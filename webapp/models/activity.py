"""Support activities (R7) and the files a session keeps: a row per activity
with a start and an end, so "every activity ended" is a checkable fact."""

from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.models.support_session import Participant


class ActivityKind(StrEnum):
    CHAT = "chat"
    FILE_TRANSFER = "file_transfer"
    DESKTOP_SHARING = "desktop_sharing"
    APPLICATION_SHARING = "application_sharing"
    VIDEO = "video"
    VOICE = "voice"
    RECORDING = "recording"


SHARING_KINDS = frozenset({ActivityKind.DESKTOP_SHARING, ActivityKind.APPLICATION_SHARING})
# Kinds whose media travel peer to peer; the page of their owner holds the tracks.
MEDIA_KINDS = SHARING_KINDS | {ActivityKind.VIDEO, ActivityKind.VOICE}


class Activity(db.Model):
    __tablename__ = "activities"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    kind: so.Mapped[ActivityKind] = so.mapped_column(sa.String(32))
    participant_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("participants.id"))
    started_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(32))

    participant: so.Mapped[Participant] = so.relationship(lazy="joined")

    @property
    def is_running(self) -> bool:
        return self.ended_at is None

    @property
    def duration(self) -> timedelta | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


class FilePurpose(StrEnum):
    FILE = "file"  # Filöverföring: sent by a participant
    RECORDING = "recording"  # Inspelning: kept for the session's staff


class SessionFile(db.Model):
    """An uploaded file, stored outside static under a generated name."""

    __tablename__ = "session_files"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    purpose: so.Mapped[FilePurpose] = so.mapped_column(sa.String(16))
    sender_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("participants.id"))
    # None: for everyone in the session; otherwise for that participant only.
    recipient_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("participants.id"))
    activity_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("activities.id"))
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(127))
    size: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    sender: so.Mapped[Participant] = so.relationship(foreign_keys=[sender_id], lazy="joined")
    recipient: so.Mapped[Participant | None] = so.relationship(foreign_keys=[recipient_id])
