"""The migrations build exactly the schema the models describe, and undo it.

``flask db upgrade`` on an empty database (a SQLite file, and PostgreSQL when
TEST_DATABASE_URL is set, in a database of its own) must yield a schema in
which Alembic's autogenerate comparison finds no difference with the models;
``flask db downgrade base`` must then leave no table behind.

If this fails after you changed a model: the migration is out of date
(``flask --app tracker db migrate``, then read and fix the script).
"""
import contextlib
import logging
import pathlib

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import database_url, on_postgres

ROOT = pathlib.Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
VERSIONS = MIGRATIONS / "versions"
BACKENDS = ["sqlite"] + (["postgresql"] if on_postgres() else [])


@contextlib.contextmanager
def _keep_logging():
    """Alembic's env.py calls logging.config.fileConfig, which disables every
    logger it does not name; later tests rely on theirs (werkzeug…)."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
             for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, lg in logging.Logger.manager.loggerDict.items():
            if not isinstance(lg, logging.Logger):
                continue
            if name in saved:
                lg.disabled, lg.level, handlers, lg.propagate = saved[name]
                lg.handlers[:] = handlers
            else:
                lg.disabled = False


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """The URL of an empty database of the given kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    main = make_url(database_url()).set(drivername="postgresql+psycopg")
    name = f"{main.database}_migrations"
    admin = sa.create_engine(main, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield main.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_app(empty_database):
    from tracker import create_app
    from tracker.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _db_command(app, command, *args):
    """``flask db <command> -d migrations/ <args>``, as a user would type it."""
    with _keep_logging():
        result = app.test_cli_runner().invoke(
            args=["db", command, "-d", str(MIGRATIONS), *args], catch_exceptions=True
        )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result


def _schema_differences(app) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tracker.extensions import db

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables(app) -> set[str]:
    from tracker.extensions import db

    return set(sa.inspect(db.engine).get_table_names())


def test_there_is_a_migration():
    scripts = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert scripts, "migrations/versions/ is empty: generate the initial migration"


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(migrated_app):
    from tracker.extensions import db

    _db_command(migrated_app, "upgrade")
    model_tables = {t.name for t in db.metadata.sorted_tables}
    assert model_tables <= _tables(migrated_app)

    differences = _schema_differences(migrated_app)
    assert differences == [], "the migrated schema differs from the models:\n" + "\n".join(map(repr, differences))

    # The migrated schema takes the reference data the application loads.
    from tracker.demo.reference import load_reference_data

    load_reference_data()
    db.session.commit()
    db.session.remove()

    _db_command(migrated_app, "downgrade", "base")
    assert _tables(migrated_app) <= {"alembic_version"}

    # And up again: a downgrade that leaves debris (types, indexes) fails here.
    _db_command(migrated_app, "upgrade")
    assert _schema_differences(migrated_app) == []
