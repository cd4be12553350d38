"""this deployment's namespace for Redis keys and channels

Revision ID: b7d4e2a91c3f
Revises: 9329e96e4fd8
Create Date: 2026-12-02 22:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d4e2a91c3f'
down_revision = '9329e96e4fd8'
branch_labels = None
depends_on = None


def upgrade():
    # The row itself is made by the app on first use (webapp/live/namespace.py),
    # so a database made with create_all gets one too.
    op.create_table('deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('namespace', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('namespace')
    )


def downgrade():
    op.drop_table('deployment')
