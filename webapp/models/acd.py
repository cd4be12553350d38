"""WebACD queues and their member agents (R6)."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
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
