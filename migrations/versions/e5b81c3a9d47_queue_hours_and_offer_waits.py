"""queues' business hours and time zone; an offer remembers when its session began waiting

Revision ID: e5b81c3a9d47
Revises: e3b9c1f4a7d2
Create Date: 2026-12-03 07:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5b81c3a9d47"
down_revision = "e3b9c1f4a7d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "queue_hours",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("closes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"]),
        sa.PrimaryKeyConstraint("queue_id", "weekday"),
    )
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("queued_at")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
    op.drop_table("queue_hours")
