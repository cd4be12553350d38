"""recording consent and session ratings (#16 item 4)

Revision ID: e3b9c1f4a7d2
Revises: 5b8e2f0c9d14
Create Date: 2026-12-03 07:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3b9c1f4a7d2"
down_revision = "5b8e2f0c9d14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recording_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("support_session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.ForeignKeyConstraint(["support_session_id"], ["support_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id"),
    )
    with op.batch_alter_table("recording_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recording_consents_support_session_id"),
            ["support_session_id"],
            unique=False,
        )
    op.create_table(
        "session_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("support_session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.ForeignKeyConstraint(["support_session_id"], ["support_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id"),
    )
    with op.batch_alter_table("session_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_ratings_support_session_id"),
            ["support_session_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("session_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_ratings_support_session_id"))
    op.drop_table("session_ratings")
    with op.batch_alter_table("recording_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_consents_support_session_id"))
    op.drop_table("recording_consents")
