"""The audit chain detects tampering (DESIGN §4): an edited, deleted or
reordered row breaks ``flask --app tracker audit verify`` (exit 1), also when
the forger recomputes the edited row's own hash. The oracle is an attack on
the stored rows with plain SQL, not the code that wrote them."""
import hashlib
import json

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.audit.service import record, verify


@pytest.fixture
def chain(app, db):
    """Ten events, as the application writes them."""
    for i in range(10):
        record("case.note", actor_role="officer", object_type="case", object_id=i + 1, data={"note_id": i + 1})
    db.session.commit()
    return [e.id for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def _sql(db, statement, **params):
    db.session.execute(sa.text(statement), params)
    db.session.commit()
    db.session.expire_all()


def _verify_cli(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_an_untouched_chain_verifies(app, db, runner, chain):
    code, out = _verify_cli(runner)
    assert code == 0, out
    assert "10 events verified" in out


def test_an_edited_row_is_detected(app, db, runner, chain):
    _sql(db, "UPDATE audit_event SET object_id = 99 WHERE id = :id", id=chain[4])
    result = verify()
    assert not result.ok and result.broken_at == chain[4]
    code, out = _verify_cli(runner)
    assert code == 1 and f"BROKEN at event {chain[4]}" in out


def test_an_edit_with_its_own_hash_recomputed_is_detected_at_the_next_link(app, db, runner, chain):
    row = db.session.get(AuditEvent, chain[4])
    payload = {
        "id": row.id, "created_at": row.created_at.isoformat(timespec="microseconds"), "action": "auth.login",
        "actor_user_id": row.actor_user_id, "actor_role": row.actor_role, "body_id": row.body_id,
        "object_type": row.object_type, "object_id": row.object_id, "data": row.data, "prev_hash": row.prev_hash,
    }
    forged = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False).encode()).hexdigest()
    _sql(db, "UPDATE audit_event SET action = 'auth.login', hash = :h WHERE id = :id", h=forged, id=chain[4])
    result = verify()
    assert not result.ok and result.broken_at == chain[5]
    assert _verify_cli(runner)[0] == 1


def test_a_row_deleted_from_the_middle_is_detected(app, db, runner, chain):
    _sql(db, "DELETE FROM audit_event WHERE id = :id", id=chain[3])
    result = verify()
    assert not result.ok and result.broken_at == chain[3]
    code, out = _verify_cli(runner)
    assert code == 1 and "deleted" in out


def test_two_rows_swapped_are_detected(app, db, runner, chain):
    a, b = (db.session.get(AuditEvent, i) for i in (chain[2], chain[6]))
    fields = ("created_at", "action", "object_id", "data", "prev_hash", "hash")
    va, vb = ({f: getattr(r, f) for f in fields} for r in (a, b))
    # Move row b's content to a temporary hash first: hashes are unique.
    _sql(db, "UPDATE audit_event SET hash = 'x' WHERE id = :id", id=b.id)
    for target, values in ((a.id, vb), (b.id, va)):
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == target).values(**values))
    db.session.commit()
    db.session.expire_all()
    result = verify()
    assert not result.ok and result.broken_at == chain[2]
    assert _verify_cli(runner)[0] == 1


def _links(db):
    """(id, prev_hash, hash) of every stored event, read with plain SQL."""
    db.session.expire_all()
    return db.session.execute(sa.text("SELECT id, prev_hash, hash FROM audit_event ORDER BY id")).all()


def test_events_of_one_transaction_chain_to_each_other(app, db, chain):
    # Several events in one transaction (intake writes two) link one to the
    # next, and the first to what was committed before.
    for i in range(3):
        record("case.note", actor_role="officer", object_type="case", object_id=100 + i)
    db.session.commit()
    links = _links(db)
    assert [r.id for r in links] == list(range(1, 14))
    for before, after in zip(links, links[1:], strict=False):
        assert after.prev_hash == before.hash
    assert verify().ok


def test_an_event_taken_away_by_a_rolled_back_savepoint_is_not_chained_to(app, db, chain):
    record("case.note", actor_role="officer", object_type="case", object_id=200)
    savepoint = db.session.begin_nested()
    record("case.note", actor_role="officer", object_type="case", object_id=201)
    savepoint.rollback()
    record("case.note", actor_role="officer", object_type="case", object_id=202)
    db.session.commit()
    links = _links(db)
    assert [r.id for r in links] == list(range(1, 13))
    assert links[-1].prev_hash == links[-2].hash
    assert verify().ok


def test_events_written_by_another_transaction_in_between_are_chained_to(app, db, chain):
    # What this process appended in an earlier transaction is not taken for
    # the chain's end: another writer may have appended since.
    record("case.note", actor_role="officer", object_type="case", object_id=300)
    db.session.commit()
    last = _links(db)[-1]
    forged = hashlib.sha256(b"another writer").hexdigest()
    _sql(db, "INSERT INTO audit_event (id, created_at, action, actor_role, object_type, object_id, data, prev_hash, hash) "
             "VALUES (:id, CURRENT_TIMESTAMP, 'case.note', 'officer', 'case', 301, '{}', :prev, :hash)",
         id=last.id + 1, prev=last.hash, hash=forged)
    record("case.note", actor_role="officer", object_type="case", object_id=302)
    db.session.commit()
    links = _links(db)
    assert links[-1].id == last.id + 2 and links[-1].prev_hash == forged
