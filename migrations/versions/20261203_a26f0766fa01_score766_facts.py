"""Decision 766 facts: per-day and per-month counts, the open dossiers as each day closed, the ledger.

The dashboard and the 766 score for a year read these instead of every dossier (issues 15 and 18);
onestop/reports/facts766.py keeps them, `onestop score766 rebuild` fills them from the dossiers.

Revision ID: a26f0766fa01
Revises: f18a0fac7001
Create Date: 2026-12-03 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a26f0766fa01'
down_revision = 'f18a0fac7001'
branch_labels = None
depends_on = None

RECEIVED = ("new", "new_online", "digitised", "pop_known", "pop_checked", "reused",
            "ecert_known", "ecert_base", "ecert_yes")
ENDED = ("ended", "pulled", "finished", "fin_ok", "fin_late", "fin_not_satisfied", "fin_pakn", "fin_bad",
         "result_fin", "e_result", "end_synced", "end_fee_known", "end_paid_online")
OPEN = ("open", "open_ok", "open_synced", "open_fee_known", "open_paid_online")


def _counts(names):
    return [sa.Column(n, sa.Integer(), nullable=False, server_default="0") for n in names]


def _keyed(table, first, names):
    op.create_table(
        table,
        sa.Column(first, sa.Date(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        *_counts(names),
        sa.PrimaryKeyConstraint(first, "procedure_id", "desk_id", name=f"pk_{table}"),
    )


def upgrade():
    _keyed("score766_days", "day", RECEIVED + ENDED)
    _keyed("score766_months", "month", RECEIVED + ENDED)
    _keyed("score766_open", "day", OPEN)
    op.create_table(
        "score766_ledger",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("counted_at", sa.DateTime(), nullable=True),
        sa.Column("open_taken_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("day", name="pk_score766_ledger"),
    )
    op.create_table(
        "score766_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_score766_dirty"),
    )
    op.create_index("ix_score766_dirty_day", "score766_dirty", ["day"], unique=False)


def downgrade():
    op.drop_index("ix_score766_dirty_day", table_name="score766_dirty")
    op.drop_table("score766_dirty")
    op.drop_table("score766_ledger")
    op.drop_table("score766_open")
    op.drop_table("score766_months")
    op.drop_table("score766_days")
