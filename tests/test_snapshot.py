"""tests/fixtures/snapshot.py: a restored snapshot is exactly what was built,
and what one test writes on its copy is gone for the next one."""
import pytest
import sqlalchemy as sa

from tests.fixtures.snapshot import build_snapshot


def _build(db):
    from tracker.accounts.models import Organisation

    db.session.add_all([Organisation(code="SNAP1", name="Snapshot one"), Organisation(code="SNAP2", name="Snapshot two")])
    db.session.commit()


def _orgs(db):
    from tracker.accounts.models import Organisation

    return db.session.execute(sa.select(Organisation.id, Organisation.code).order_by(Organisation.id)).all()


@pytest.fixture(scope="module")
def snapshot(_postgres_schema):
    snapshot = build_snapshot("selftest", _build, on_postgres=_postgres_schema)
    yield snapshot
    snapshot.drop()


def test_restore_gives_each_test_its_own_copy(app, db, snapshot):
    before = _orgs(db)  # the reference data only (a fresh database)
    assert "SNAP1" not in [code for _, code in before]
    snapshot.restore(db)
    built = _orgs(db)
    assert [code for _, code in built] == [code for _, code in before] + ["SNAP1", "SNAP2"]

    # A write on the copy (the next id follows the saved rows) ...
    from tracker.accounts.models import Organisation

    db.session.add(Organisation(code="SNAP3", name="Written by a test"))
    db.session.commit()
    after_write = _orgs(db)
    assert after_write[-1][1] == "SNAP3" and after_write[-1][0] == built[-1][0] + 1

    # ... is gone after the next restore, and ids start again where the build left them.
    snapshot.restore(db, over_written=True)
    assert _orgs(db) == built
    db.session.add(Organisation(code="SNAP4", name="Written by the next test"))
    db.session.commit()
    assert _orgs(db)[-1] == (built[-1][0] + 1, "SNAP4")


def test_a_second_test_gets_the_build_not_the_first_tests_writes(app, db, snapshot):
    snapshot.restore(db)
    codes = [code for _, code in _orgs(db)]
    assert codes[-2:] == ["SNAP1", "SNAP2"] and "SNAP3" not in codes and "SNAP4" not in codes


def test_restoring_over_rows_a_test_wrote_is_refused(app, db, snapshot):
    """A fixture that wrote before the restore would lose its rows unseen."""
    from tracker.accounts.models import Organisation

    db.session.add(Organisation(code="EARLY", name="Written before the restore"))
    db.session.commit()
    with pytest.raises(RuntimeError, match="organisation"):
        snapshot.restore(db)


def test_dated_data_are_built_again_when_the_day_changes(app, db, _postgres_schema):
    from datetime import date

    from tests.fixtures.snapshot import SharedData

    builds = []

    def build(db_):
        builds.append(1)
        _build(db_)

    today = [date(2026, 3, 1)]
    shared = SharedData("dated_selftest", build, on_postgres=_postgres_schema, dated=True)
    shared._today = lambda: today[0]
    try:
        shared.restore(db)  # built on first use
        assert len(builds) == 1 and [c for _, c in _orgs(db)][-2:] == ["SNAP1", "SNAP2"]
        db.session.remove()  # (on PostgreSQL a build truncates this database)
        shared.ensure_built()  # the same day: kept
        assert len(builds) == 1
        today[0] = date(2026, 3, 2)
        shared.ensure_built()  # the next day: built again
        assert len(builds) == 2 and shared.built_on == date(2026, 3, 2)
    finally:
        shared.drop()
