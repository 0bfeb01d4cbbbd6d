"""``flask --app tracker demo``: reference data, logins, synthetic reports,
real demo receipts that work, --if-empty, determinism; bench/generate.py."""
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.audit.service import verify
from tracker.intake.models import Report, ReportCategory

RECEIPT = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
ROOT = Path(__file__).resolve().parents[2]


def _reports(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


def test_demo_loads_everything_and_prints_logins_and_receipts(app, db, demo_run, api):
    # demo_run: ``demo --reports 200 --seed 5`` on a fresh database (tests/demo/conftest.py).
    out = demo_run.output
    assert "Synthetic reports" in out  # the progress bar's label
    assert "Added 200 synthetic reports" in out
    for role in ("partner", "officer", "supervisor", "commander", "admin"):
        assert f"{role}@" in out
    assert out.count("TOTP secret:") == 2 and out.count("otpauth://totp/") == 2  # supervisor, admin
    assert _reports(db) == 203  # 200 synthetic + 3 real
    actions = Counter(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions["demo.loaded"] == 1
    assert actions["report.submitted"] == 203  # synthetic ones get a history too (tracker.demo.history)
    assert actions["case.opened"] == 203
    assert verify().ok

    receipts = RECEIPT.findall(out.split("Demo receipts")[1])
    assert len(receipts) == 3
    for receipt in receipts:
        r = api.post("/followup", {"receipt": receipt})
        assert r.status_code == 200 and r.get_json()["status"] in ("new", "escalated")


def test_demo_logins_work(app, db, runner):
    result = runner.invoke(args=["demo", "--reports", "0"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "officer@" in line)
    email, password = line.split()[1], line.split("password:")[1].strip()
    from tracker.accounts.services import authenticate

    assert authenticate(email, password).status == "ok"


def test_if_empty_does_nothing_when_reports_exist(app, db, runner):
    assert runner.invoke(args=["demo", "--reports", "10", "--if-empty"]).exit_code == 0
    assert _reports(db) == 13
    result = runner.invoke(args=["demo", "--reports", "10", "--if-empty"])
    assert result.exit_code == 0
    assert "already holds reports" in result.output
    assert _reports(db) == 13


def test_same_seed_gives_the_same_mix(app, db, demo_run, runner):
    # Run 1 is demo_run (``demo --reports 200 --seed 5`` on a fresh database); run 2 the same again.
    assert runner.invoke(args=["demo", "--reports", "200", "--seed", "5"]).exit_code == 0

    def mix(first, last):
        return Counter(dict(db.session.execute(
            sa.select(ReportCategory.category, sa.func.count())
            .where(ReportCategory.report_id.between(first, last)).group_by(ReportCategory.category)
        ).all()))

    # Run 1: synthetic ids 1..200, real 201..203; run 2: synthetic 204..403.
    assert mix(1, 200) == mix(204, 403)
    assert sum(mix(1, 200).values()) >= 200


def test_negative_count_is_refused(app, runner):
    result = runner.invoke(args=["demo", "--reports", "-5"])
    assert result.exit_code != 0


def test_bench_generate_script(tmp_path):
    db_path = tmp_path / "bench.db"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "300", "--pulses", "50", "--today", "2026-03-01",
         "--database-url", f"sqlite:///{db_path}", "--config", "testing"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reports/s" in proc.stdout and "300 added" in proc.stdout
    engine = sa.create_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM report")) == 300
        assert conn.scalar(sa.text('SELECT COUNT(*) FROM "case"')) == 300
    engine.dispose()


def test_demo_cases_have_a_history_that_follows_the_workflow(app, db, demo_run):
    """Every synthetic case's trail walks the transition table (written out in
    tests/cases/test_workflow.py from DESIGN §4) from "new" to the state the
    case is in, in time order, and the chain still verifies."""
    from tests.cases.test_workflow import EXPECTED
    from tracker.cases.models import Case

    # demo_run: ``demo --reports 200 --seed 5`` on a fresh database (tests/demo/conftest.py).
    assert "audit events" in demo_run.output
    assert verify().ok
    cases = db.session.scalars(sa.select(Case)).all()
    trails = {}
    for ev in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "case").order_by(AuditEvent.id)):
        trails.setdefault(ev.object_id, []).append(ev)
    moved = 0
    for case in cases:
        trail = trails.get(case.id, [])
        assert trail and trail[0].action == "case.opened", case.ref
        state = "new"
        times = [ev.created_at for ev in trail]
        assert times == sorted(times), case.ref
        for ev in trail[1:]:
            action = ev.action.removeprefix("case.")
            if action in ("assign", "message"):
                assert ev.actor_role in ("officer", "supervisor")
                continue
            rule = EXPECTED[state].get(action)
            assert rule is not None, (case.ref, state, action)
            allowed = rule[1]
            assert ev.actor_role in allowed, (case.ref, action, ev.actor_role)
            assert ev.data["from"] == state
            state = ev.data["to"]
            moved += 1
        assert state == case.state, (case.ref, state, case.state)
    assert moved > len(cases)  # most cases have moved on from "new"
