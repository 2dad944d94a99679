"""Performance: indexes and facts tables (issue 18).

Revision ID: f18a0fac7001
Revises: f16a0c0de001
Create Date: 2026-12-03 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f18a0fac7001'
down_revision = 'f16a0c0de001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
