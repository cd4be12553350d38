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
    # An IANA zone (#17 item 4); None: the queue keeps no hours and is always open.
    time_zone: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    members: so.Mapped[list[User]] = so.relationship(secondary=queue_members)
    hours: so.Mapped[list["QueueHours"]] = so.relationship(
        order_by="QueueHours.weekday", cascade="all, delete-orphan"
    )


class QueueHours(db.Model):
    """One weekday's opening hours of a queue, in minutes after the local
    midnight of its time zone; closes may be 1440 (24:00). A weekday without
    a row is closed."""

    __tablename__ = "queue_hours"

    queue_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("queues.id"), primary_key=True)
    weekday: so.Mapped[int] = so.mapped_column(primary_key=True)  # 0 = Monday
    opens: so.Mapped[int]
    closes: so.Mapped[int]


class OfferState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"  # another agent accepted, or the agent went away
    EXPIRED = "expired"  # nobody accepted it within OFFER_TIMEOUT_SECONDS (#17 item 5)
    # The session came back to the agent who transferred it: nobody took it.
    RETURNED = "returned"


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
    # When the session began waiting: an accepted offer's wait feeds the estimate.
    queued_at: so.Mapped[datetime | None]
    decided_at: so.Mapped[datetime | None]

    agent: so.Mapped[User] = so.relationship()
    queue: so.Mapped[Queue | None] = so.relationship()
