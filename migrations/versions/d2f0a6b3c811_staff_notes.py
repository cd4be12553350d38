"""staff notes (Anteckningar), private to staff

Revision ID: d2f0a6b3c811
Revises: c4a1e7d20b55
Create Date: 2026-12-03 06:54:46.972481

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d2f0a6b3c811"
down_revision = "c4a1e7d20b55"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("support_session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["support_session_id"],
            ["support_sessions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_notes_support_session_id"), ["support_session_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("staff_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_notes_support_session_id"))

    op.drop_table("staff_notes")
