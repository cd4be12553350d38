"""WebACD queues and their member agents (R6)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.models.user import User

queue_members = sa.Table(
    "queue_members",
    db.metadata,
    sa.Column("queue_id", sa.ForeignKey("queues.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)


class Queue(db.Model):
    __tablename__ = "queues"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)

    members: so.Mapped[list[User]] = so.relationship(secondary=queue_members)


class OfferState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"  # another agent accepted, or the agent went away


class Offer(db.Model):
    """A transferred session offered to one agent (R6.5); the first to accept wins."""

    __tablename__ = "offers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    agent_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    queue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("queues.id"))
    message: so.Mapped[str | None] = so.mapped_column(sa.String(345))
    state: so.Mapped[OfferState] = so.mapped_column(
        sa.String(16), default=OfferState.PENDING, index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    decided_at: so.Mapped[datetime | None]

    agent: so.Mapped[User] = so.relationship()
    queue: so.Mapped[Queue | None] = so.relationship()
