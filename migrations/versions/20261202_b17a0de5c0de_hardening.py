"""Hardening (issue 17): per-user session tokens, sign-in throttle counters, lookup failures per dossier,
idempotency keys.

Existing users get a fresh session token each, which signs everyone out once.

Revision ID: b17a0de5c0de
Revises: 631eabe3d341
Create Date: 2026-12-02 15:00:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b17a0de5c0de"
down_revision = "631eabe3d341"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)

    op.create_table(
        "sign_in_throttle",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=True),
        sa.Column("next_allowed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "account", "address", name=op.f("pk_sign_in_throttle")),
    )
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.create_index("ix_sign_in_throttle_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "lookup_failures",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], name=op.f("fk_lookup_failures_dossier_id_dossiers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_lookup_failures")),
    )

    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotent_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_requests")),
        sa.UniqueConstraint("user_id", "scope", "key", name="uq_idempotent_requests_user_scope_key"),
    )
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.create_index("ix_idempotent_requests_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotent_requests_created_at")
    op.drop_table("idempotent_requests")
    op.drop_table("lookup_failures")
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_throttle_updated_at")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_token")
