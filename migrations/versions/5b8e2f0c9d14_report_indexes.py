"""indexes for the history search and the reports over 100,000 sessions (#16)

Revision ID: 5b8e2f0c9d14
Revises: d2f0a6b3c811
Create Date: 2026-12-03 07:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b8e2f0c9d14"
down_revision = "d2f0a6b3c811"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participants_joined_at"), ["joined_at"], unique=False)

    with op.batch_alter_table("session_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_events_kind_created_at", ["kind", "created_at"], unique=False
        )

    with op.batch_alter_table("support_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_sessions_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("support_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_sessions_created_at"))

    with op.batch_alter_table("session_events", schema=None) as batch_op:
        batch_op.drop_index("ix_session_events_kind_created_at")

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participants_joined_at"))
