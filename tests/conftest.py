"""Shared fixtures: ``app``, ``client``, ``runner``, ``db``.

Tests run against SQLite in memory by default; set TEST_DATABASE_URL to a
PostgreSQL URL to run the same suite on PostgreSQL (``.ci/run`` does both).
"""
import pytest

from tracker import create_app
from tracker.extensions import db as _db

pytest_plugins = [
    "tests.fixtures.factories",
    "tests.fixtures.accounts",
    "tests.fixtures.mail",
    "tests.fixtures.browser",
]


@pytest.fixture
def app():
    app = create_app("testing")
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        from tracker.demo.reference import load_reference_data

        load_reference_data()
        _db.session.commit()
        yield app
        _db.session.remove()
        _db.drop_all()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
