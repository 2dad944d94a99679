"""`onestop generate` around a bulk load on PostgreSQL's partitioned history (issues 18 and 22): the indexes it
drops are rebuilt valid on every partition, and the rows still follow the deadline rules."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from support import IS_POSTGRES

from onestop import deadlines
from onestop.devdata import generate
from onestop.extensions import db
from onestop.models import Dossier, DossierStep
from onestop.status import DossierStatus


@pytest.mark.skipif(not IS_POSTGRES, reason="partitioned tables are PostgreSQL's")
def test_an_index_of_a_partitioned_table_is_rebuilt_on_every_partition(app):
    conn = db.session.connection()
    conn.execute(sa.text("DROP TABLE IF EXISTS perf_history_scratch"))
    conn.execute(sa.text("CREATE TABLE perf_history_scratch (id int, dossier_id int, at timestamp NOT NULL) "
                         "PARTITION BY RANGE (at)"))
    for year in (2025, 2026):
        conn.execute(sa.text(f"CREATE TABLE perf_history_scratch_y{year} PARTITION OF perf_history_scratch "
                             f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"))
    conn.execute(sa.text("CREATE INDEX ix_perf_history_scratch_dossier ON perf_history_scratch (dossier_id, id)"))
    definition = conn.execute(sa.text("SELECT pg_get_indexdef('ix_perf_history_scratch_dossier'::regclass)")).scalar()
    assert " ON ONLY " in definition  # what the generator reads back before dropping it
    conn.execute(sa.text("DROP INDEX ix_perf_history_scratch_dossier"))
    conn.execute(sa.text(generate.rebuildable(definition)))
    valid = conn.execute(sa.text(
        "SELECT t.relname, i.indisvalid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname LIKE 'perf_history_scratch%' ORDER BY 1")).all()
    assert valid == [("perf_history_scratch", True), ("perf_history_scratch_y2025", True),
                     ("perf_history_scratch_y2026", True)]
    db.session.rollback()


def test_a_second_bulk_load_keeps_codes_unique_and_steps_judged_by_their_deadline(app):
    """Two loads in batches (the second with the index rebuild of a large load): codes never repeat, every
    finished step is judged against its due moment as the workflow judges it, dossiers are never due before
    they were received."""
    generate.generate(300, seed=18, batch=100, workers=1)
    generate.generate(300, seed=19, batch=100, workers=2, rebuild_indexes=True)
    db.session.commit()
    codes = db.session.execute(sa.select(Dossier.code)).scalars().all()
    assert len(codes) == len(set(codes)) == 600
    assert db.session.execute(sa.select(sa.func.count()).where(
        Dossier.due_at.is_not(None), Dossier.received_at.is_not(None), Dossier.due_at < Dossier.received_at)
    ).scalar() == 0
    steps = db.session.execute(sa.select(DossierStep.finished_at, DossierStep.due_at, DossierStep.result)
                               .where(DossierStep.finished_at.is_not(None))).all()
    assert steps
    assert all(s.result == deadlines.judge(s.finished_at, s.due_at) for s in steps)
    assert db.session.execute(sa.select(sa.func.count()).where(
        Dossier.status.in_([DossierStatus.RETURNED, DossierStatus.RESULT_READY]), Dossier.finish_state.is_(None))
    ).scalar() == 0
