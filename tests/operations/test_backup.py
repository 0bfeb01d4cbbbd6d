"""``flask --app tracker backup`` / ``restore`` (issue 8, item 8): after a
restore, ``audit verify`` passes and a receipt still opens its report.
Runs on SQLite (backup API) and, in the PostgreSQL pass, with pg_dump /
pg_restore."""
import sqlalchemy as sa

from tests.fixtures.factories import create_report
from tracker.intake import services
from tracker.intake.models import Report


def count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


def test_backup_then_restore_brings_everything_back(app, db, runner, tmp_path):
    report, receipt = create_report(narrative="Kept in the backup")
    create_report()
    path = str(tmp_path / "tracker.backup")
    result = runner.invoke(args=["backup", path])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tracker.backup").stat().st_size > 0

    # Things happen after the backup: another report, and the first one's
    # narrative is tampered with behind the app's back.
    _, later_receipt = create_report(narrative="After the backup")
    db.session.execute(sa.update(Report).where(Report.id == report.id).values(narrative_enc=None))
    db.session.commit()
    assert count(db) == 3
    db.session.remove()

    result = runner.invoke(args=["restore", "--yes", path])
    assert result.exit_code == 0, result.output
    assert count(db) == 2
    found = services.lookup_report(receipt)
    assert found is not None and found.narrative == "Kept in the backup"
    assert services.lookup_report(later_receipt) is None
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output


def test_restore_refuses_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "nothing")])
    assert result.exit_code != 0
