"""The centre's floor: counters, queue tickets, counter ratings.

Revision ID: d21a0c0e0e01
Revises: d20a1b2c3d01
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd21a0c0e0e01'
down_revision = 'd20a1b2c3d01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queue_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_queue_counters_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_counters')),
    sa.UniqueConstraint('agency_id', 'number', name='uq_queue_counters_agency_number')
    )
    op.create_table('queue_sequences',
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_queue_sequences_agency_id_agencies')),
    sa.PrimaryKeyConstraint('agency_id', 'day', name=op.f('pk_queue_sequences'))
    )
    op.create_table('queue_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('token', sa.String(length=24), nullable=False),
    sa.Column('request_token', sa.String(length=40), nullable=True),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('called_at', sa.DateTime(), nullable=True),
    sa.Column('last_called_at', sa.DateTime(), nullable=True),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('clerk_id', sa.Integer(), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_queue_tickets_agency_id_agencies')),
    sa.ForeignKeyConstraint(['clerk_id'], ['users.id'], name=op.f('fk_queue_tickets_clerk_id_users')),
    sa.ForeignKeyConstraint(['counter_id'], ['queue_counters.id'], name=op.f('fk_queue_tickets_counter_id_queue_counters')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_queue_tickets_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_tickets')),
    sa.UniqueConstraint('agency_id', 'day', 'number', name='uq_queue_tickets_agency_day_number'),
    sa.UniqueConstraint('request_token', name=op.f('uq_queue_tickets_request_token')),
    sa.UniqueConstraint('token', name=op.f('uq_queue_tickets_token'))
    )
    with op.batch_alter_table('queue_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_queue_tickets_agency_day_state', ['agency_id', 'day', 'state', 'id'], unique=False)
        batch_op.create_index('ix_queue_tickets_agency_taken', ['agency_id', 'taken_at'], unique=False)
        batch_op.create_index('ix_queue_tickets_counter_state', ['counter_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_tickets_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('counter_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('asked_money', sa.Boolean(), nullable=True),
    sa.Column('came_again', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['queue_counters.id'], name=op.f('fk_counter_ratings_counter_id_queue_counters')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_counter_ratings_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['ticket_id'], ['queue_tickets.id'], name=op.f('fk_counter_ratings_ticket_id_queue_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_ratings')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_counter_ratings_ticket_id'))
    )
    with op.batch_alter_table('counter_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_ratings_counter_id'), ['counter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_counter_ratings_dossier_id'), ['dossier_id'], unique=False)


def downgrade():
    op.drop_table('counter_ratings')
    op.drop_table('queue_tickets')
    op.drop_table('queue_sequences')
    op.drop_table('queue_counters')
