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
