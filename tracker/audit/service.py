"""record() appends an event to the hash chain; verify() checks the chain.

Each event's hash is SHA-256 over its canonical content and the previous
event's hash, so editing or deleting any row breaks every later link.
"""
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.core.db import utcnow
from tracker.extensions import db

GENESIS = "0" * 64
#: session.info key: (transaction, the last event it appended)
_TAIL = "tracker_audit_tail"


def _canonical(ev: AuditEvent) -> bytes:
    payload = {
        "id": ev.id,
        "created_at": ev.created_at.isoformat(timespec="microseconds"),
        "action": ev.action,
        "actor_user_id": ev.actor_user_id,
        "actor_role": ev.actor_role,
        "body_id": ev.body_id,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "data": ev.data or {},
        "prev_hash": ev.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(ev: AuditEvent) -> str:
    return hashlib.sha256(_canonical(ev)).hexdigest()


def _lock_chain() -> None:
    """Serialise appends so two transactions cannot chain to the same parent."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(7235001)"))


def _chain_tail() -> tuple[int, str] | None:
    """(id, hash) of the chain's last event, or None for an empty chain.

    When this transaction appended an event already, that event is the last
    one: the chain lock taken for it is held until the transaction ends (on
    SQLite, the transaction's first write serialised it), so it is read from
    the session instead of the database, and the new event can share the
    flush of what the caller does next. Not after a commit or a rollback,
    nor when a rolled-back savepoint took the event away with it.
    """
    cached = db.session.info.get(_TAIL)
    if cached is not None:
        transaction, ev = cached
        if transaction is not None and transaction is db.session().get_transaction() and ev in db.session:
            return ev.id, ev.hash
    _lock_chain()
    last = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return (last.id, last.hash) if last else None


def forget_tail() -> None:
    """Call after appending events without ``record()`` (bulk loaders): the
    next record() then reads the chain's last link from the database."""
    db.session.info.pop(_TAIL, None)


def record(
    action: str,
    *,
    actor=None,
    actor_role: str | None = None,
    body_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Append an audit event in the current transaction (the caller commits).

    ``actor`` is a staff User or None; anonymous reporters are recorded as
    the role "reporter" with no identity at all. The event is written with
    the session's next flush (the next query autoflushes, the commit at the
    latest), so that it shares a flush with what the caller does next; a
    next record() in the same transaction chains to it (``_chain_tail``).
    """
    last = _chain_tail()
    ev = AuditEvent(
        id=(last[0] + 1) if last else 1,
        created_at=utcnow(),
        action=action,
        actor_user_id=getattr(actor, "id", None),
        actor_role=actor_role or getattr(actor, "role", None) or "system",
        body_id=body_id,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        prev_hash=last[1] if last else GENESIS,
    )
    ev.hash = compute_hash(ev)
    db.session.add(ev)
    db.session.info[_TAIL] = (db.session().get_transaction(), ev)
    return ev


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def verify(batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in id order; report the first broken link."""
    prev_hash, expected_id, checked = GENESIS, 1, 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return VerifyResult(True, checked)
        for ev in rows:
            if ev.id != expected_id:
                return VerifyResult(False, checked, expected_id, "missing event (deleted?)")
            if ev.prev_hash != prev_hash:
                return VerifyResult(False, checked, ev.id, "previous-hash link does not match")
            if compute_hash(ev) != ev.hash:
                return VerifyResult(False, checked, ev.id, "content does not match its hash (edited?)")
            prev_hash, expected_id, last_id = ev.hash, ev.id + 1, ev.id
            checked += 1
        db.session.expunge_all()
