"""PostgreSQL's history and notices tables partitioned by year: the migration keeps every row, the app works on
them, the coming years' partitions are created ahead, rows caught by DEFAULT move into their year, and the
downgrade gives plain tables back. Runs on a throwaway PostgreSQL server, so it runs in the SQLite pass too."""
from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from factories import act, receive
from flask_migrate import downgrade, upgrade
from pgcluster import Throwaway

from config import TestConfig
from onestop import create_app, partitions
from onestop.devdata import demo
from onestop.extensions import db
from onestop.models import DossierEvent, OutboxMessage

BEFORE = "d21a0c0e0e01"  # the revision before the partitioning


@pytest.fixture(scope="module")
def server():
    pg = Throwaway()
    yield pg
    pg.remove()


@pytest.fixture
def migrated(server):
    url = server.create_database("partitions")
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, ONESTOP_FILES_DIR=tempfile.mkdtemp(prefix="onestop-part-files-"))
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def relkind(table: str) -> str:
    return db.session.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = :t"), {"t": table}).scalar()


def partition_of(table: str, row_id: int) -> str:
    return db.session.execute(sa.text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :i"),
                              {"i": row_id}).scalar()


def test_the_migration_partitions_by_year_and_keeps_every_row(migrated):
    # The rows are written with today's models at the head, then the schema goes back to before the
    # partitioning (its downgrade folds the partitions into plain tables) and forward again.
    upgrade()
    demo.load()
    dossier = receive("1.009994")
    db.session.commit()
    old = DossierEvent(dossier_id=dossier.id, action="note", at=datetime(2024, 5, 6, 3, 0, tzinfo=UTC), note="cũ")
    db.session.add(old)
    db.session.add(OutboxMessage(channel="email", recipient="a@example.test", body="x", kind="test",
                                 created_at=datetime(2025, 2, 1, 1, 0, tzinfo=UTC)))
    db.session.commit()
    old_id = old.id
    counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in partitions.TABLES}
    db.session.remove()
    downgrade(revision=BEFORE)
    assert relkind("dossier_events") == "r" and relkind("outbox") == "r"
    db.session.remove()

    upgrade()
    assert relkind("dossier_events") == "p" and relkind("outbox") == "p"
    assert {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in partitions.TABLES} == counts
    names = partitions.existing(db.session.connection(), "dossier_events")
    this_year = date.today().year
    assert {f"dossier_events_y{y}" for y in range(2024, this_year + 3)} | {"dossier_events_default"} == set(names)
    assert partition_of("dossier_events", old_id) == "dossier_events_y2024"

    # The app keeps working on them: a new dossier and its actions land in this year's partition.
    db.session.remove()
    fresh = receive("1.009994")
    act(fresh, "forward", "tiepnhan")
    db.session.commit()
    newest = db.session.execute(sa.select(sa.func.max(DossierEvent.id))).scalar()
    assert partition_of("dossier_events", newest) == f"dossier_events_y{this_year}"
    assert [e.action for e in db.session.get(type(fresh), fresh.id).events][:2] == ["intake", "forward"]
    # Ids keep coming from the same sequence: no clash with the copied rows.
    assert newest > old_id


def test_years_are_created_ahead_and_rows_in_default_move_into_their_year(migrated):
    upgrade()
    demo.load()
    dossier = receive("1.009994")
    db.session.commit()
    far = DossierEvent(dossier_id=dossier.id, action="note", at=datetime(2031, 3, 1, 2, 0, tzinfo=UTC),
                       note="tương lai")
    db.session.add(far)
    db.session.commit()
    far_id = far.id
    assert partition_of("dossier_events", far_id) == "dossier_events_default"
    db.session.remove()  # the command takes its own connection; this session must hold no lock

    runner = migrated.test_cli_runner()
    result = runner.invoke(args=["onestop", "partitions", "--ahead", "5"])
    assert result.exit_code == 0, result.output
    assert "dossier_events_y2031" in result.output
    db.session.remove()
    assert partition_of("dossier_events", far_id) == "dossier_events_y2031", "moved out of DEFAULT"
    again = runner.invoke(args=["onestop", "partitions", "--ahead", "5"])
    assert "Đã tạo 0 phân vùng mới" in again.output, "running it again creates nothing"


def test_the_daily_job_runs_once_under_its_lock(migrated):
    upgrade()
    result = partitions.run(now=datetime(2040, 1, 2, 0, 0, tzinfo=UTC))
    assert "dossier_events_y2040" in result["created"] and "outbox_y2042" in result["created"]
    assert partitions.run(now=datetime(2040, 1, 2, 0, 0, tzinfo=UTC))["created"] == []


def test_the_downgrade_gives_plain_tables_with_every_row(migrated):
    upgrade()
    demo.load()
    receive("1.009994")
    db.session.commit()
    count = db.session.execute(sa.text("SELECT count(*) FROM dossier_events")).scalar()
    db.session.remove()
    downgrade(revision=BEFORE)
    assert relkind("dossier_events") == "r" and relkind("outbox") == "r"
    assert db.session.execute(sa.text("SELECT count(*) FROM dossier_events")).scalar() == count
    assert not db.session.execute(sa.text("SELECT 1 FROM pg_class WHERE relname LIKE 'dossier_events_y%'")).first()
