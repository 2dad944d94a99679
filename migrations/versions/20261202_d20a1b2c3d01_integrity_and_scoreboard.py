"""Integrity: broker leads, rating questions, confirmed contacts.

Revision ID: d20a1b2c3d01
Revises: d19a0f4ce001
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd20a1b2c3d01'
down_revision = 'd19a0f4ce001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
