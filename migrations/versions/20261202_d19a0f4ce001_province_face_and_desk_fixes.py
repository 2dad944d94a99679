"""The province's face (name, emblem, colours, contacts) and the desk's fixes.

Revision ID: d19a0f4ce001
Revises: d16a0b1ce001
Create Date: 2026-12-02 19:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd19a0f4ce001'
down_revision = 'd16a0b1ce001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('province_face',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('banner_color', sa.String(length=7), server_default='#0b4f8a', nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('hotline', sa.String(length=50), nullable=True),
    sa.Column('working_hours', sa.String(length=200), nullable=True),
    sa.Column('emblem', sa.LargeBinary(), nullable=True),
    sa.Column('emblem_type', sa.String(length=20), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_province_face'))
    )


def downgrade():
    op.drop_table('province_face')
