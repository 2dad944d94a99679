"""Online submission: drafts, submitter contacts, online supplements, reuse and blank forms (issue 16).

Revision ID: f16a0c0de001
Revises: e22a0b1c2d01
Create Date: 2026-12-03 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16a0c0de001'
down_revision = 'e22a0b1c2d01'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
