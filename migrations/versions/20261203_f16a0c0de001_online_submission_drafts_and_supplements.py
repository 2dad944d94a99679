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
    op.create_table('online_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('applicant', sa.JSON(), nullable=True),
    sa.Column('contact', sa.String(length=255), nullable=True),
    sa.Column('contact_confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_online_drafts_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'],
                            name=op.f('fk_online_drafts_procedure_id_procedures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_drafts')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_online_drafts_token_hash'))
    )
    with op.batch_alter_table('online_drafts', schema=None) as batch_op:
        batch_op.create_index('ix_online_drafts_expires_at', ['expires_at'], unique=False)

    op.create_table('online_draft_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('document_name', sa.String(length=500), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=True),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('reused_from_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['online_drafts.id'],
                            name=op.f('fk_online_draft_files_draft_id_online_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reused_from_id'], ['attachments.id'],
                            name=op.f('fk_online_draft_files_reused_from_id_attachments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_draft_files'))
    )
    with op.batch_alter_table('online_draft_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_draft_files_draft_id'), ['draft_id'], unique=False)

    op.create_table('blank_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('document_name', sa.String(length=500), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_blank_forms_procedure_id_procedures'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_blank_forms_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blank_forms')),
    sa.UniqueConstraint('procedure_id', 'document_name', name='uq_blank_forms_procedure_document'),
    sa.UniqueConstraint('stored_name', name=op.f('uq_blank_forms_stored_name'))
    )

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completion_requested_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_name', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('document_name')

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('completion_requested_at')

    op.drop_table('blank_forms')

    with op.batch_alter_table('online_draft_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_draft_files_draft_id'))
    op.drop_table('online_draft_files')

    with op.batch_alter_table('online_drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_online_drafts_expires_at')
    op.drop_table('online_drafts')
