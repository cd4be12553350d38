"""A support session, the people in it, their invitations and its event log."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.models.user import User


class SessionState(StrEnum):
    ACTIVE = "active"
    QUEUED = "queued"  # handed to WebACD, waiting for an agent (R6)
    ENDED = "ended"


class ParticipantRole(StrEnum):
    REP = "rep"
    ASSISTANT = "assistant"
    CUSTOMER = "customer"


class InvitationRole(StrEnum):
    CUSTOMER = "customer"
    REP = "rep"


class SupportSession(db.Model):
    __tablename__ = "support_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Nine digits from `secrets`; unique over all sessions, which is stricter
    # than R1.4's "among open sessions" and costs nothing at 9e8 numbers.
    number: so.Mapped[str] = so.mapped_column(sa.String(9), unique=True, index=True)
    state: so.Mapped[SessionState] = so.mapped_column(
        sa.String(16), default=SessionState.ACTIVE, index=True
    )
    # None for a session a customer asked for from the request form (R6).
    started_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    controller_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("participants.id", use_alter=True, name="fk_session_controller")
    )
    # Bumped on every state change; a compare-and-set on it makes two racing
    # requests end with one winner on SQLite and PostgreSQL alike.
    version: so.Mapped[int] = so.mapped_column(default=1)
    # R3.1: the customer the controlling rep is helping now.
    helped_participant_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("participants.id", use_alter=True, name="fk_session_helped")
    )
    # R3.4: the rep whose Flersessionsfönster shows this session as a tab.
    window_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # R6: the queue a transferred session waits in, and the rep's message.
    queue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("queues.id"), index=True)
    transfer_message: so.Mapped[str | None] = so.mapped_column(sa.String(345))
    queued_at: so.Mapped[datetime | None]
    # Indexed for the history's newest-first pages and the reports' days.
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    ended_at: so.Mapped[datetime | None]
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # The head of the session's event chain (webapp/services/audit.py): the
    # last event's number and hash, and an HMAC over them under a key from
    # SECRET_KEY. Without the key nobody can move the head, so events cut off
    # the end of the chain, or a chain rewritten from scratch, show.
    audit_seq: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    audit_head: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    audit_seal: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    started_by: so.Mapped[User | None] = so.relationship(foreign_keys=[started_by_id])
    participants: so.Mapped[list["Participant"]] = so.relationship(
        back_populates="support_session",
        foreign_keys="Participant.support_session_id",
        order_by="Participant.id",
    )
    controller: so.Mapped["Participant | None"] = so.relationship(
        foreign_keys=[controller_id], post_update=True
    )
    helped: so.Mapped["Participant | None"] = so.relationship(
        foreign_keys=[helped_participant_id], post_update=True
    )

    @property
    def is_open(self) -> bool:
        return self.state != SessionState.ENDED

    @property
    def grouped_number(self) -> str:
        return f"{self.number[:3]} {self.number[3:6]} {self.number[6:]}"

    def present_participants(self) -> list["Participant"]:
        return [p for p in self.participants if p.left_at is None]


class Participant(db.Model):
    __tablename__ = "participants"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    role: so.Mapped[ParticipantRole] = so.mapped_column(sa.String(16))
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # As long as a staff name (users.name); customers' names stop at 80.
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    # sha256 of the secret a customer's browser holds; the secret itself is
    # never stored, so a database leak does not hand out seats in sessions.
    secret_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # Indexed for the reports: the staff seats of a period (#16).
    joined_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    left_at: so.Mapped[datetime | None]
    left_reason: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # What the page reported of its browser; R5.5 keeps a voice call going
    # only for a new controller whose browser has a microphone.
    has_microphone: so.Mapped[bool] = so.mapped_column(default=False)
    # The language a customer joined in: a canned reply is put in it (#17).
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))

    support_session: so.Mapped[SupportSession] = so.relationship(
        back_populates="participants", foreign_keys=[support_session_id]
    )
    user: so.Mapped[User | None] = so.relationship()
    # Loaded with the seat: the panels of every page show it, and a query of
    # its own would grow each page's count (#16 item 4).
    recording_consent: so.Mapped["RecordingConsent | None"] = so.relationship(  # noqa: F821
        lazy="joined", viewonly=True
    )

    @property
    def is_staff(self) -> bool:
        return self.role in (ParticipantRole.REP, ParticipantRole.ASSISTANT)

    @property
    def is_controller(self) -> bool:
        return self.support_session.controller_id == self.id

    @property
    def is_present(self) -> bool:
        return self.left_at is None

    @property
    def may_share(self) -> bool:
        """Screens, windows and cameras are the controller's and the
        customers' to share; an assistant only talks (R5.5)."""
        return self.is_controller or self.role == ParticipantRole.CUSTOMER


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    role: so.Mapped[InvitationRole] = so.mapped_column(sa.String(16))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    name: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    locale: so.Mapped[str] = so.mapped_column(sa.String(8))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    invited_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("participants.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    # A customer link is single-use: the first browser to join with it owns
    # it (its seat is kept here), and a revoked link stops working (#13).
    used_at: so.Mapped[datetime | None]
    participant_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("participants.id", use_alter=True, name="fk_invitation_participant")
    )
    revoked_at: so.Mapped[datetime | None]

    support_session: so.Mapped[SupportSession] = so.relationship()

    @property
    def is_open(self) -> bool:
        """Still usable by someone new: not used, revoked or expired."""
        return self.used_at is None and self.revoked_at is None and self.expires_at > utcnow()


class SessionEvent(db.Model):
    """What happened in a session, in order; the live layer publishes these.

    Append-only: each row holds the hash of the session's previous event and
    its own (webapp/services/audit.py), and PostgreSQL refuses UPDATE and
    DELETE on the table (webapp/models/audit.py) except for retention."""

    __tablename__ = "session_events"
    __table_args__ = (
        sa.UniqueConstraint("support_session_id", "seq", name="uq_session_events_seq"),
        # The reports read the waits of a period: a few kinds, a time range.
        sa.Index("ix_session_events_kind_created_at", "kind", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    participant_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("participants.id"))
    data: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # 1, 2, 3 … within the session; unique, so two writers that both read the
    # same head cannot both append after it.
    seq: so.Mapped[int]
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64))
