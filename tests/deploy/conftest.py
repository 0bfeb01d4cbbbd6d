"""Tests of the production profile (tests/deploy/stack.py): marked ``deploy``.

They need PostgreSQL (TEST_DATABASE_URL), nginx and redis-server, so they
run in the PostgreSQL pass of ``.ci/run``; its SQLite pass deselects them
with ``-m "not postgres"`` (with CI=true a skip would fail the run).
"""
import pathlib

import pytest

from tests.conftest import on_postgres
from tests.deploy.stack import Stack, database_on_test_server, missing_tools, temporary_base
from tests.fixtures.browser import IN_CI

HERE = pathlib.Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.deploy)
            item.add_marker(pytest.mark.postgres)


def unavailable(why: str):
    if IN_CI:
        pytest.fail(f"{why} (CI=true: deploy tests must run; deselect them with -m 'not postgres' on SQLite)",
                    pytrace=False)
    pytest.skip(why)


@pytest.fixture
def deploy_tools():
    missing = missing_tools()
    if missing:
        unavailable("the production stack needs " + ", ".join(missing))


@pytest.fixture
def https_stack(deploy_tools):
    """The production profile on a fresh database of the TEST_DATABASE_URL server."""
    if not on_postgres():
        unavailable("the production stack runs on PostgreSQL: set TEST_DATABASE_URL")
    with temporary_base() as base, database_on_test_server() as url:
        stack = Stack(url, base)
        stack.migrate()
        with stack:
            yield stack
