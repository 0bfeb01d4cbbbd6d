"""The demo tests use the API client fixture to check the printed receipts,
and share one run of ``flask --app tracker demo`` (``demo_run``)."""
from dataclasses import dataclass

import pytest

from tests.api.conftest import api  # noqa: F401
from tests.fixtures.snapshot import SharedData

# The shared run: 200 synthetic reports with seed 5. A run takes about a
# minute, nearly all of it publishing the twelve closed months' statistics
# (the suppression solver), so the tests that only read what one run wrote
# share it instead of running it each.
DEMO_REPORTS, DEMO_SEED = 200, 5


@dataclass
class DemoRun:
    reports: int
    seed: int
    exit_code: int
    output: str


@pytest.fixture(scope="session")
def _demo_run(_postgres_schema):
    printed = {}

    def run(db):
        from flask import current_app

        res = current_app.test_cli_runner().invoke(args=["demo", "--reports", str(DEMO_REPORTS), "--seed", str(DEMO_SEED)])
        printed["exit_code"], printed["output"] = res.exit_code, res.output
        db.session.commit()

    # Dated: the demo is built relative to today (rebuilt if the day changes).
    shared = SharedData("demo_run", run, on_postgres=_postgres_schema, dated=True)
    shared.ensure_built()
    yield shared, printed
    shared.drop()


@pytest.fixture
def demo_run(app, db, _demo_run):
    """The test's database holds exactly what ``flask --app tracker demo
    --reports 200 --seed 5`` wrote on a fresh database (a copy: what the
    test writes stays in its own copy); ``.output`` is what it printed."""
    shared, printed = _demo_run
    shared.restore(db)
    assert printed["exit_code"] == 0, printed["output"]
    return DemoRun(DEMO_REPORTS, DEMO_SEED, printed["exit_code"], printed["output"])
