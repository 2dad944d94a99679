"""The migrations build the same schema as the models, on SQLite and PostgreSQL."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from support import IS_POSTGRES

from onestop import partitions
from onestop.extensions import db


def _empty_database(name: str, tmp_path) -> str:
    """A new, empty database for migrating: a PostgreSQL database of that name, or an SQLite file."""
    if not IS_POSTGRES:
        return f"sqlite:///{tmp_path}/{name}.db"
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return db.engine.url.set(database=name).render_as_string(False)


def test_upgrade_matches_models_and_downgrade_works(app, tmp_path):
    from support import make_app

    migrated = make_app(SQLALCHEMY_DATABASE_URI=_empty_database("onestop_migration_test", tmp_path))
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": partitions.include_name})
            diff = compare_metadata(context, db.metadata)
        if not IS_POSTGRES:  # SQLite cannot add the dossiers <-> steps cycle's second foreign key
            diff = [d for d in diff if not (d[0] == "add_fk" and d[1].parent.name == "dossiers")]
        assert diff == []
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() in ([], ["alembic_version"])
        db.engine.dispose()


def test_existing_procedures_keep_their_receiving_desk_after_the_2025_migration(app, tmp_path):
    """Decree 118/2025's revision gives every existing procedure its current desk as its one allowed desk."""
    from support import make_app

    migrated = make_app(SQLALCHEMY_DATABASE_URI=_empty_database("onestop_migration_data", tmp_path))
    with migrated.app_context():
        upgrade(revision="b17a0de5c0de")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO agencies (id, identifier, name, kind, active) "
                                 "VALUES (7, '000.00.17.H56', 'Trung tâm', 'center', true)"))
            conn.execute(sa.text(
                "INSERT INTO procedures (id, code, name, name_search, field, time_limit, time_unit, same_day, fee, "
                "receiving_agency_id, clock_on_supplement, active, created_at) VALUES (3, '1.009994', 'Cấp phép', "
                "'', 'Xây dựng', 15, 'working_days', false, 0, 7, 'restart', true, '2026-01-02 03:00:00')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT procedure_id, agency_id FROM procedure_desks")).all() == [(3, 7)]
            row = conn.execute(sa.text("SELECT anywhere, online_level FROM procedures")).one()
            assert (bool(row[0]), row[1]) == (False, "none")
        db.engine.dispose()
