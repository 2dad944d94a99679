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
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_online', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('population_checked', sa.Boolean(), nullable=True))

    with op.batch_alter_table('dossier_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('e_certified_copies', sa.Integer(), nullable=True))

    # Plain ALTER TABLE ADD COLUMN (no batch copy): on SQLite a copy of `procedures` would cascade-delete
    # procedure_desks' rows through its ON DELETE CASCADE.
    op.add_column('procedures', sa.Column('announced_on', sa.Date(), nullable=True))
    op.add_column('procedures', sa.Column('published_on', sa.Date(), nullable=True))
    op.add_column('procedures', sa.Column('amended', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('procedures', sa.Column('published_in_full', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_column('published_in_full')
        batch_op.drop_column('amended')
        batch_op.drop_column('published_on')
        batch_op.drop_column('announced_on')

    with op.batch_alter_table('dossier_documents', schema=None) as batch_op:
        batch_op.drop_column('e_certified_copies')

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('population_checked')
        batch_op.drop_column('paid_online')
