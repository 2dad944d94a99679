"""The desk's and the queue's remaining fixes (issues 19 and 21).

Revision ID: f19a0de5c001
Revises: f18a0fac7001
Create Date: 2026-12-03 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f19a0de5c001'
down_revision = 'f18a0fac7001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
