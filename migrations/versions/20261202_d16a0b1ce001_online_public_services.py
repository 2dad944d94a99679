"""Online public services: one-time codes, and reuse of documents digitised for earlier dossiers.

Revision ID: d16a0b1ce001
Revises: d15b9a4b5c01
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd16a0b1ce001'
down_revision = 'd15b9a4b5c01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('one_time_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes'))
    )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.create_index('ix_one_time_codes_contact_purpose', ['contact', 'purpose', 'created_at'], unique=False)
        batch_op.create_index('ix_one_time_codes_expires_at', ['expires_at'], unique=False)

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reused_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attachments_reused_from_id_attachments'), 'attachments',
                                    ['reused_from_id'], ['id'])


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachments_reused_from_id_attachments'), type_='foreignkey')
        batch_op.drop_column('reused_from_id')

    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_one_time_codes_expires_at')
        batch_op.drop_index('ix_one_time_codes_contact_purpose')

    op.drop_table('one_time_codes')
