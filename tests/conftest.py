"""Shared fixtures: ``app``, ``client``, ``runner``, ``db``.

Tests run against SQLite in memory by default. Set TEST_DATABASE_URL to a
PostgreSQL URL (``postgresql+psycopg://postgres@127.0.0.1:5432/tracker_test``)
to run the same suite on PostgreSQL; ``.ci/run`` does both. On PostgreSQL the
tables are created once per session and emptied (TRUNCATE … RESTART IDENTITY)
before each test, which is several times faster than dropping and creating
them for every test. The reference data every test starts with are loaded
once per session and copied into each test's database
(tests/fixtures/snapshot.py), as are the larger data sets some areas share
(tests/trends/conftest.py, tests/demo/conftest.py).

``pytest`` works without ``make``: compiled catalogs (.mo, not in git) are
built from the .po files at the start of the session when missing or stale.
"""
import contextlib
import os
import pathlib

import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.extensions import db as _db

pytest_plugins = [
    "tests.fixtures.factories",
    "tests.fixtures.accounts",
    "tests.fixtures.mail",
    "tests.fixtures.browser",
]

ROOT = pathlib.Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def database_url() -> str | None:
    """The PostgreSQL URL the suite runs on, or None for SQLite."""
    return os.environ.get("TEST_DATABASE_URL") or None


def on_postgres() -> bool:
    url = database_url() or ""
    return url.startswith(("postgresql", "postgres:"))


def compile_translations(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Compile every translations/<lang>/LC_MESSAGES/messages.po whose .mo is
    missing or older (what ``make translations`` does with pybabel)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po_path in sorted((root / "translations").glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        tmp.replace(mo_path)
        compiled.append(mo_path)
    return compiled


def pytest_configure(config):
    compile_translations()


def _reset_postgres(engine: sa.Engine) -> None:
    tables = [t.name for t in _db.metadata.sorted_tables]
    if not tables:
        return
    names = ", ".join(engine.dialect.identifier_preparer.quote(name) for name in tables)
    with engine.begin() as conn:
        # A test that leaves a transaction open elsewhere should fail loudly,
        # not hang the whole run on a lock.
        conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _postgres_schema():
    """On PostgreSQL: create the tables once for the whole session."""
    if not on_postgres():
        yield False
        return
    app = create_app("testing")
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    yield True
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _load_fresh_data(postgres: bool) -> None:
    """Schema and reference data only, on the current app's database."""
    if postgres:
        _reset_postgres(_db.engine)
    else:
        _db.drop_all()
        _db.create_all()
    from tracker.demo.reference import load_reference_data

    load_reference_data()
    _db.session.commit()


@contextlib.contextmanager
def fresh_app(postgres: bool, snapshot=None):
    """An app in its own app context, on a database holding the schema and
    the reference data only: what every test starts from. With ``snapshot``
    (``_fresh_snapshot``) the database is a copy of that state saved once,
    rather than built again."""
    from tracker.reference import maps

    app = create_app("testing")
    with app.app_context():
        if snapshot is None:
            _load_fresh_data(postgres)
        else:
            snapshot.restore(_db, over_written=True)
        # The district map is cached in the process by (outlines, latest
        # update): with restored rows the key repeats from test to test.
        maps._CACHE.clear()
        yield app, _db
        _db.session.remove()
        if not postgres:
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def _fresh_snapshot(_postgres_schema):
    """The schema and the reference data, built once for the session and
    copied into each test's database (SQLite: about 0.1 s a test less;
    PostgreSQL: rows copied by the server instead of loaded through the ORM)."""
    from tests.fixtures.snapshot import DatabaseSnapshot

    snapshot = DatabaseSnapshot("fresh")
    app = create_app("testing")
    with app.app_context():
        _load_fresh_data(_postgres_schema)
        snapshot.save(_db)
        if not _postgres_schema:
            _db.drop_all()
        _db.engine.dispose()
    yield snapshot
    snapshot.drop()


@pytest.fixture
def app(_postgres_schema, _fresh_snapshot):
    with fresh_app(_postgres_schema, _fresh_snapshot) as (app, _):
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_runtest_setup(item):
    """A test marked ``postgres`` (concurrency that SQLite's single writer
    rules out) is skipped on SQLite; with CI=true the skip fails the run
    (pytest_sessionfinish below), so CI deselects it there instead."""
    if item.get_closest_marker("postgres") and not on_postgres():
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL, or deselect it with -m 'not postgres'")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests, then the deploy tests, run last (in their own order):
    ``.ci/run`` runs the SQLite suite (which has neither) beside the
    PostgreSQL one, and these timing-sensitive tests should not share the
    two cores with it. Runs after the folders' hooks that add the markers."""
    def group(item) -> int:
        if item.get_closest_marker("deploy"):
            return 2
        return 1 if item.get_closest_marker("browser") else 0

    items.sort(key=group)  # stable: each group keeps its order


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """In CI (CI=true) a skipped test is a failure: a browser or PostgreSQL
    test that could not run must not pass unnoticed."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter.write_line("")
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; in CI every test must run:", red=True, bold=True)
        for report in skipped[:20]:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}")
