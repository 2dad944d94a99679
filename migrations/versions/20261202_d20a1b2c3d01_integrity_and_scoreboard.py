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
    op.create_table(
        'lead_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(), nullable=False),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_lead_reviews_reviewed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_reviews')),
    )
    op.create_index('ix_lead_reviews_kind_key', 'lead_reviews', ['kind', 'key', 'id'], unique=False)
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_confirmed', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('contact_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_dossiers_applicant_phone', ['applicant_phone', 'received_at'], unique=False)
        batch_op.create_index('ix_dossiers_applicant_email', ['applicant_email', 'received_at'], unique=False)
        batch_op.create_index('ix_dossiers_collected_id_number', ['collected_id_number', 'returned_at'],
                              unique=False)
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asked_money', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('came_again', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('pakn_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_pakn_id_pakn'), 'pakn', ['pakn_id'], ['id'])


def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_pakn_id_pakn'), type_='foreignkey')
        batch_op.drop_column('pakn_id')
        batch_op.drop_column('came_again')
        batch_op.drop_column('asked_money')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_collected_id_number')
        batch_op.drop_index('ix_dossiers_applicant_email')
        batch_op.drop_index('ix_dossiers_applicant_phone')
        batch_op.drop_column('contact_confirmed_at')
        batch_op.drop_column('contact_confirmed')
    op.drop_index('ix_lead_reviews_kind_key', table_name='lead_reviews')
    op.drop_table('lead_reviews')
