"""Citizens' complaints and recommendations (PAKN) and the national portal sync outbox.

Revision ID: d15b9a4b5c01
Revises: d15a766c0101
Create Date: 2026-12-02 19:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd15b9a4b5c01'
down_revision = 'd15a766c0101'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pakn',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('contact_email', sa.String(length=120), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('overdue_flagged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_pakn_agency_id_agencies')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_pakn_answered_by_id_users')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_pakn_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn')),
    sa.UniqueConstraint('code', name=op.f('uq_pakn_code'))
    )
    with op.batch_alter_table('pakn', schema=None) as batch_op:
        batch_op.create_index('ix_pakn_agency_status_due', ['agency_id', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_pakn_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('portal_sync',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('service', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_portal_sync_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sync')),
    sa.UniqueConstraint('event_id', 'service', name='uq_portal_sync_event_service')
    )
    with op.batch_alter_table('portal_sync', schema=None) as batch_op:
        batch_op.create_index('ix_portal_sync_state_next', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_sync_dossier_id'), ['dossier_id'], unique=False)


def downgrade():
    with op.batch_alter_table('portal_sync', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_sync_dossier_id'))
        batch_op.drop_index('ix_portal_sync_state_next')

    op.drop_table('portal_sync')
    with op.batch_alter_table('pakn', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pakn_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_pakn_agency_id'))
        batch_op.drop_index('ix_pakn_created_at')
        batch_op.drop_index('ix_pakn_agency_status_due')

    op.drop_table('pakn')
