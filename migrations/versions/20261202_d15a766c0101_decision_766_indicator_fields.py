"""Decision 766: the fields the indicators read (online payment, reuse, population database, e-certified copies).

Revision ID: d15a766c0101
Revises: c118a2025d0c
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd15a766c0101'
down_revision = 'c118a2025d0c'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
