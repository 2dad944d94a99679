"""The migrations build the same schema as the models, on SQLite and PostgreSQL."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from support import IS_POSTGRES

from onestop.extensions import db


def test_upgrade_matches_models_and_downgrade_works(app, tmp_path):
    if IS_POSTGRES:
        url = db.engine.url.set(database="onestop_migration_test")
        admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS onestop_migration_test"))
            conn.execute(sa.text("CREATE DATABASE onestop_migration_test"))
        admin.dispose()
    else:
        url = f"sqlite:///{tmp_path}/migrated.db"
    from support import make_app

    migrated = make_app(SQLALCHEMY_DATABASE_URI=str(url) if not IS_POSTGRES else url.render_as_string(False))
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        if not IS_POSTGRES:  # SQLite cannot add the dossiers <-> steps cycle's second foreign key
            diff = [d for d in diff if not (d[0] == "add_fk" and d[1].parent.name == "dossiers")]
        assert diff == []
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() in ([], ["alembic_version"])
        db.engine.dispose()
