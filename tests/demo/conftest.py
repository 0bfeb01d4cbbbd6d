"""The demo tests use the API client fixture to check the printed receipts,
and share one run of ``flask --app tracker demo`` (``demo_run``)."""
from dataclasses import dataclass

import pytest

from tests.api.conftest import api  # noqa: F401
from tests.fixtures.snapshot import DatabaseSnapshot, build_snapshot

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
    snapshot: DatabaseSnapshot


@pytest.fixture(scope="session")
def _demo_run(_postgres_schema):
    result = {}

    def run(db):
        from flask import current_app

        res = current_app.test_cli_runner().invoke(args=["demo", "--reports", str(DEMO_REPORTS), "--seed", str(DEMO_SEED)])
        result["exit_code"], result["output"] = res.exit_code, res.output
        db.session.commit()

    snapshot = build_snapshot("demo_run", run, on_postgres=_postgres_schema)
    yield DemoRun(DEMO_REPORTS, DEMO_SEED, result["exit_code"], result["output"], snapshot)
    snapshot.drop()


@pytest.fixture
def demo_run(app, db, _demo_run):
    """The test's database holds exactly what ``flask --app tracker demo
    --reports 200 --seed 5`` wrote on a fresh database (a copy: what the
    test writes stays in its own copy); ``.output`` is what it printed."""
    assert _demo_run.exit_code == 0, _demo_run.output
    _demo_run.snapshot.restore(db)
    return _demo_run
