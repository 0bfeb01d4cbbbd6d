"""Rollups, the live upkeep: just before each commit, in the same
transaction, from what session events noted at each flush, the rollup
tables are brought up to date with the aggregation that the rebuild uses
(tracker.metrics.rollups.aggregation). No other module has to call
anything; the listeners are registered by ``create_app``
(tracker/__init__.py, configure_extensions), never at import.

- a report or a pulse answer inserted in this transaction: its
  contribution (read back from the database at commit, a report with its
  categories and case) is added to the rollup rows in place, one
  ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` per table;
- an existing case that moved (state, outcome, dates): for each of its
  existing reports, the contribution with the case as it was at the start
  of the transaction is taken away and the one with the case as it is now
  is added, in place (rows that fall to zero are deleted);
- anything else (a report edited or deleted, categories changed on an
  existing report, a pulse answer changed or deleted, a report moved to
  another case): the
  (period, district, force, unit) slices concerned are recomputed from the
  raw rows, and in-place changes to those slices are dropped;
- a region moved in the tree (another parent, another level): every row of
  it and of the regions below it is recomputed from the raw rows, so that
  its reports and answers are counted under the province it is in now.

On PostgreSQL, while a full rebuild (``flask rollup``) runs, each upkeep
also notes the slices it changed in ``rollup_dirty``: the rebuild computed
its rows from a snapshot that may not hold this transaction's reports, so
it recomputes those slices before it commits (tracker.metrics.rollups.rebuild).

The in-place path keeps a commit to tens of milliseconds however many
reports a slice holds; a recompute reads the whole slice. Bulk loaders
that bypass the ORM wrap their work in ``paused()`` and rebuild afterwards.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import types
import zlib
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event, inspect

from tracker.cases.models import Case
from tracker.extensions import db
from tracker.intake.models import PulseResponse, Report, ReportCategory
from tracker.metrics.anonymise import period_end, period_start
from tracker.metrics.models import (
    COUNT_FIELDS,
    PULSE_FIELDS,
    DurationRollup,
    PulseRollup,
    ReportRollup,
    RollupDirty,
)
from tracker.metrics.rollups.aggregation import (
    Aggregates,
    RegionMap,
    count_rows,
    duration_rows,
    grouped_by_report,
    insert_rows,
    pulse_aggregate,
    pulse_query,
    report_query,
    report_row,
)
from tracker.reference.models import Region

DIRTY = "tracker_rollup_dirty"
PAUSED = "tracker_rollup_paused"

# Report attributes whose change moves a report between rollup rows.
REPORT_ATTRS = (
    "occurred_on", "occurred_precision", "region_id", "force_id", "unit_id", "severity", "killed", "injured",
    "detained", "missing", "displaced_households", "property_damaged", "victims_children", "victims_women",
    "victims_elderly", "victims_disability", "consent_statistics", "case_id",
)
CASE_ATTRS = ("state", "outcome", "created_at", "triaged_at", "resolved_at")
# Region attributes whose change moves its reports to another province.
REGION_ATTRS = ("parent_id", "level")

#: PostgreSQL advisory lock taken by the live upkeep: shared with its
#: per-slice locks, exclusive when a region moved (its rows of every
#: period, force and unit are recomputed from the raw rows, which are read
#: only once no other upkeep is under way; later ones wait for the commit).
ROLLUP_WRITERS_LOCK = 7235003
#: Held (exclusive) by a full rebuild for its whole transaction; an upkeep
#: tries it (shared, without waiting) to learn whether a rebuild runs, and
#: holds it if so until it commits, so a rebuild starts only once every
#: upkeep that did not note its slices has committed.
ROLLUP_REBUILD_LOCK = 7235004


def forget_pending(session) -> None:
    """Drop what this session's flushes noted (after a rebuild counted it all)."""
    session.info.pop(DIRTY, None)


def _dirty(session) -> dict:
    """What the flushes of this transaction changed: ``slices`` and the
    current slices of ``report_ids`` and of the reports of ``case_ids`` to
    recompute; ``new_report_ids`` and ``new_pulse_ids`` (inserted in this
    transaction) and ``case_old`` ({case id: its counted fields at the start
    of the transaction}) to apply in place; ``new_case_ids`` (never in
    case_old); ``new_objects``: the new reports and pulse answers themselves
    ({(class, id): object}), read from the session at commit;
    ``moved_regions``: regions given another parent or level."""
    return session.info.setdefault(
        DIRTY,
        {"slices": set(), "report_ids": set(), "case_ids": set(), "new_report_ids": set(), "new_case_ids": set(),
         "new_pulse_ids": set(), "case_old": {}, "new_objects": {}, "moved_regions": set()},
    )


def _report_slices(occurred_on, precision, region_id, force_id, unit_id) -> list[tuple]:
    """The rollup slices a report falls in: (kind, grain, period, region,
    force, unit). Slices are this narrow so that upkeep stays quick with
    millions of reports."""
    if occurred_on is None or region_id is None:
        return []
    f, u = force_id or 0, unit_id or 0
    out = [("report", "month", period_start(occurred_on, "month"), region_id, f, u)]
    if precision == "day":
        out.append(("report", "week", period_start(occurred_on, "week"), region_id, f, u))
    return out


def refresh(session=None) -> int:
    """Bring the rollups up to date with what this session's flushes noted
    (in place where exact, else by recomputing slices). Returns how many
    slices were touched."""
    # The Session itself, not the scoped proxy (the default, or a caller's
    # db.session): which objects are its own is told by its hash_key.
    session = session() if isinstance(session, sa.orm.scoped_session) else session or db.session()
    dirty = session.info.pop(DIRTY, None)
    if not dirty:
        return 0
    new_ids = sorted(dirty["new_report_ids"])
    slices = set(dirty["slices"])
    ids, case_ids = dirty["report_ids"] - dirty["new_report_ids"], dirty["case_ids"]
    # A case opened in this transaction holds only reports attached to it
    # through the session (tracker.cases.intake), each noted by its own
    # flush: new, or moved (its case_id changed); nothing to look up.
    case_ids = case_ids - dirty["new_case_ids"]
    if ids or case_ids:
        cond = []
        if ids:
            cond.append(Report.id.in_(sorted(ids)))
        if case_ids:
            cond.append(Report.case_id.in_(sorted(case_ids)))
        q = sa.select(
            Report.occurred_on, Report.occurred_precision, Report.region_id, Report.force_id, Report.unit_id
        ).where(sa.or_(*cond))
        if new_ids:
            q = q.where(Report.id.not_in(new_ids))
        for row in session.execute(q):
            slices.update(_report_slices(*row))
    case_old = {cid: old for cid, old in dirty["case_old"].items() if cid not in dirty["new_case_ids"]}
    new_pulse_ids = sorted(dirty.get("new_pulse_ids", ()))
    moved = dirty.get("moved_regions", set())
    if not slices and not new_ids and not case_old and not new_pulse_ids and not moved:
        return 0
    # Reports and pulse answers new in this transaction: what they count
    # now is added (an answer's sums in place: a recompute would read every
    # answer of the district's month).
    new_reports = list(_new_reports(session, dirty["new_objects"], new_ids)) if new_ids else []
    new_pulses = _new_pulses(session, dirty["new_objects"], new_pulse_ids) if new_pulse_ids else []
    if slices or case_old or moved:
        regions = RegionMap(session=session)
    else:
        # Only additions in place: a map of their own regions will do.
        regions = RegionMap(only={r.region_id for r, _ in new_reports} | {p.region_id for p in new_pulses},
                            session=session)
    delta = Aggregates()
    for r, cats in new_reports:
        delta.add(r, cats, regions)
    if case_old:
        # An existing case moved: its (existing) reports counted with the
        # case as it was; take that away and add what they count now.
        q = report_query().where(Report.case_id.in_(sorted(case_old)))
        if new_ids:
            q = q.where(Report.id.not_in(new_ids))
        for r, cats in grouped_by_report(session.execute(q)):
            before = types.SimpleNamespace(**{**r._mapping, **case_old[r.case_id]})
            delta.add(before, cats, regions, sign=-1)
            delta.add(r, cats, regions)
    pulse_delta = pulse_aggregate(new_pulses, regions) if new_pulses else []
    recompute = {(kind, grain, start, regions.rollup_region(rid)[1], f, u) for kind, grain, start, rid, f, u in slices}
    touched = recompute | _delta_slices(delta) | {_pulse_slice(row) for row in pulse_delta}
    if session.get_bind().dialect.name != "postgresql":
        # SQLite has one writer at a time: nothing can interleave.
        _apply(session, regions, recompute, delta, pulse_delta)
        if moved:
            _recount_regions(session, regions, moved)
        return len(touched)
    # PostgreSQL: two transactions recomputing the same slice would both
    # delete and insert it, and two adding to a missing row would both
    # insert it. A per-slice advisory lock (taken in a fixed order, so no
    # deadlock) makes the second wait, then see the first's rows. Should
    # anything still fail, the report itself must not: the savepoint is
    # rolled back and the next ``flask rollup`` corrects it.
    try:
        with session.begin_nested():
            if moved:
                # Rows of every period and force are recomputed: no other
                # upkeep may run meanwhile (nor need its slice locks).
                session.execute(_LOCK_OUT_WRITERS)
            else:
                # The writers' lock (shared), then every slice's lock, in
                # the order given, then whether a rebuild runs: one statement.
                locks = [zlib.crc32(repr(key).encode()) - 2**31 for key in sorted(touched)]
                rebuilding = session.execute(_LOCK_SLICES, {"keys": locks}).all()[-1][0] != "true"
                if rebuilding:
                    session.execute(sa.insert(RollupDirty), [
                        dict(kind=kind, grain=grain, period_start=start, region_id=region, force_id=force,
                             unit_id=unit)
                        for kind, grain, start, region, force, unit in sorted(touched)])
            _apply(session, regions, recompute, delta, pulse_delta)
            if moved:
                _recount_regions(session, regions, moved)
    except sa.exc.SQLAlchemyError:
        logging.getLogger(__name__).exception("rollup upkeep failed; run `flask rollup` to correct it")
        return 0
    return len(touched)


def _in_session(session, obj) -> bool:
    state = inspect(obj)
    return state.persistent and state.session_id == session.hash_key


def _new_reports(session, objects: dict, ids: list[int]):
    """(report row, categories) of the reports new in this transaction: from
    the session's own objects (as flushed), else read back."""
    missing = []
    for rid in ids:
        obj = objects.get((Report, rid))
        if obj is None or not _in_session(session, obj):
            missing.append(rid)
            continue
        row = report_row(obj)
        if row is not None:
            yield row, [c.category for c in obj.categories]
    if missing:
        yield from grouped_by_report(session.execute(_reports_by_id(), {"ids": missing}))


def _new_pulses(session, objects: dict, ids: list[int]) -> list:
    """The pulse answers new in this transaction (objects, else rows)."""
    out, missing = [], []
    for pid in ids:
        obj = objects.get((PulseResponse, pid))
        if obj is not None and _in_session(session, obj):
            out.append(obj)
        else:
            missing.append(pid)
    if missing:
        out += session.execute(_pulses_by_id(), {"ids": missing}).all()
    return out


@functools.cache
def _reports_by_id():
    """The report query narrowed to a list of ids (built once)."""
    return report_query().where(Report.id.in_(sa.bindparam("ids", expanding=True)))


@functools.cache
def _pulses_by_id():
    """The pulse query narrowed to a list of ids (built once)."""
    return pulse_query().where(PulseResponse.id.in_(sa.bindparam("ids", expanding=True)))


# The branches of a UNION ALL run one after the other, and unnest yields the
# array in its order: the locks are taken in that order. The last row says
# whether the rebuild lock was free ('true'; it is then held, shared).
_LOCK_SLICES = sa.text(
    f"SELECT pg_advisory_xact_lock_shared({ROLLUP_WRITERS_LOCK})::text UNION ALL "
    "SELECT pg_advisory_xact_lock(7235002, t.k)::text FROM unnest(CAST(:keys AS integer[])) AS t(k) UNION ALL "
    f"SELECT pg_try_advisory_xact_lock_shared({ROLLUP_REBUILD_LOCK})::text"
)
# A moved region's recount waits for a running rebuild to commit, then for
# every upkeep under way (the rebuild takes the two in the same order).
_LOCK_OUT_WRITERS = sa.text(
    f"SELECT pg_advisory_xact_lock_shared({ROLLUP_REBUILD_LOCK}) UNION ALL "
    f"SELECT pg_advisory_xact_lock({ROLLUP_WRITERS_LOCK})"
)


def _recount_regions(session, regions: RegionMap, moved: set[int]) -> None:
    """Recompute from the raw rows every rollup row of the regions that
    moved in the tree and of those below them (their province may have
    changed), for every period, force and unit. ``regions`` is the whole
    tree as it is now. Rows are keyed by the rollup region (a district, or a
    region above one), which is the region itself for the levels a region
    may have (country, province, district)."""
    below = defaultdict(list)
    for rid, parent in regions.parent.items():
        below[parent].append(rid)
    affected, todo = set(), list(moved)
    while todo:
        rid = todo.pop()
        if rid not in affected:
            affected.add(rid)
            todo.extend(below.get(rid, ()))
    keys = sorted(affected | {regions.rollup_region(rid)[1] for rid in affected})
    raw = sorted({r for key in keys for r in regions.raw_regions(key)} | affected)
    agg = Aggregates()
    for r, cats in grouped_by_report(session.execute(report_query().where(Report.region_id.in_(raw)))):
        agg.add(r, cats, regions)
    pulses = pulse_aggregate(session.execute(pulse_query().where(PulseResponse.region_id.in_(raw))), regions)
    for model, rows in ((ReportRollup, count_rows(agg)), (DurationRollup, duration_rows(agg)), (PulseRollup, pulses)):
        session.execute(sa.delete(model).where(model.region_id.in_(keys)))
        insert_rows(session, model.__table__, [row for row in rows if row["region_id"] in keys])


def _delta_slices(delta: Aggregates) -> set[tuple]:
    out = {("report", k[0], k[1], k[3], k[4], k[5]) for k, vals in delta.counts.items() if any(vals)}
    out.update(("report", "month", k[0], k[2], k[3], k[4]) for k, n in delta.durations.items() if n)
    return out


def _pulse_slice(row: dict) -> tuple:
    return ("pulse", "month", row["period_start"], row["region_id"], 0, 0)


#: Upsert statements by (table name, columns): built once.
_UPSERTS: dict[tuple, sa.TextClause] = {}


def _add_in_place(session, table, key: tuple[str, ...], fields: tuple[str, ...], rows: list[dict]) -> bool:
    """Add ``rows`` (every field >= 0) to the rows of ``table`` with the same
    ``key`` (its unique constraint), inserting those that are missing: one
    INSERT ... ON CONFLICT DO UPDATE SET f = f + excluded.f for all of them
    (PostgreSQL and SQLite alike). Concurrent upserts of the same row are
    serialised by the database on the unique index. False when the dialect
    has no such statement. Written as text: SQLAlchemy does not cache the
    compiled form of its ON CONFLICT constructs, and compiling one costs
    more than running it."""
    if not rows:
        return True
    if session.get_bind().dialect.name not in ("postgresql", "sqlite"):
        return False
    columns = tuple(rows[0])
    stmt = _UPSERTS.get((table.name, columns))
    if stmt is None:
        sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
               f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
               + ", ".join(f"{f} = {table.name}.{f} + excluded.{f}" for f in fields))
        stmt = sa.text(sql).bindparams(*(sa.bindparam(c, type_=table.c[c].type) for c in columns))
        _UPSERTS[(table.name, columns)] = stmt
    session.execute(stmt, rows)
    return True


def _apply(session, regions: RegionMap, recompute: set[tuple], delta: Aggregates,
           pulse_delta: list[dict] = ()) -> None:
    """Add ``delta`` and ``pulse_delta`` in place, except to slices in
    ``recompute`` (recomputed from the raw rows instead, as is any slice the
    delta does not fit). What only adds (new reports, new pulse answers) is
    one upsert per table; what also takes away goes row by row."""
    redo = set(recompute)
    t = ReportRollup.__table__
    adds: list[dict] = []
    for (grain, start, province, region, force, unit, cat, sev), vals in delta.counts.items():
        key = ("report", grain, start, region, force, unit)
        if key in redo or not any(vals):
            continue
        if min(vals) >= 0:
            row = dict(grain=grain, period_start=start, province_id=province, region_id=region, force_id=force,
                       unit_id=unit, category=cat, severity=sev)
            row.update(zip(COUNT_FIELDS, vals, strict=False))
            adds.append(row)
            continue
        where = (
            t.c.grain == grain, t.c.period_start == start, t.c.region_id == region, t.c.force_id == force,
            t.c.unit_id == unit, t.c.category == cat, t.c.severity == sev,
        )
        changes = {f: t.c[f] + v for f, v in zip(COUNT_FIELDS, vals, strict=False) if v}
        if session.execute(sa.update(t).where(*where).values(changes)).rowcount == 0:
            if min(vals) < 0:  # taking away from a row that is not there: out of step
                redo.add(key)
                continue
            row = dict(grain=grain, period_start=start, province_id=province, region_id=region, force_id=force,
                       unit_id=unit, category=cat, severity=sev)
            row.update(zip(COUNT_FIELDS, vals, strict=False))
            session.execute(sa.insert(t), [row])
        elif min(vals) < 0:
            session.execute(sa.delete(t).where(*where, t.c.reports <= 0))
    # (a slice a row above found out of step is recomputed: nothing to add to it)
    adds = [r for r in adds if ("report", r["grain"], r["period_start"], r["region_id"], r["force_id"], r["unit_id"])
            not in redo]
    if not _add_in_place(session, t, ("grain", "period_start", "region_id", "force_id", "unit_id", "category",
                                      "severity"), COUNT_FIELDS, adds):
        redo.update(("report", r["grain"], r["period_start"], r["region_id"], r["force_id"], r["unit_id"])
                    for r in adds)
    d = DurationRollup.__table__
    adds = []
    for (start, province, region, force, unit, kind, bucket), n in delta.durations.items():
        key = ("report", "month", start, region, force, unit)
        if key in redo or not n:
            continue
        if n > 0:
            adds.append(dict(period_start=start, province_id=province, region_id=region, force_id=force,
                             unit_id=unit, kind=kind, bucket=bucket, n=n))
            continue
        where = (
            d.c.period_start == start, d.c.region_id == region, d.c.force_id == force, d.c.unit_id == unit,
            d.c.kind == kind, d.c.bucket == bucket,
        )
        if session.execute(sa.update(d).where(*where).values(n=d.c.n + n)).rowcount == 0:
            if n < 0:
                redo.add(key)
                continue
            session.execute(sa.insert(d), [dict(period_start=start, province_id=province, region_id=region,
                                                force_id=force, unit_id=unit, kind=kind, bucket=bucket, n=n)])
        elif n < 0:
            session.execute(sa.delete(d).where(*where, d.c.n <= 0))
    adds = [r for r in adds if ("report", "month", r["period_start"], r["region_id"], r["force_id"], r["unit_id"])
            not in redo]
    if not _add_in_place(session, d, ("period_start", "region_id", "force_id", "unit_id", "kind", "bucket"), ("n",),
                         adds):
        redo.update(("report", "month", r["period_start"], r["region_id"], r["force_id"], r["unit_id"]) for r in adds)
    pulses = [row for row in pulse_delta if _pulse_slice(row) not in redo]
    if not _add_in_place(session, PulseRollup.__table__, ("period_start", "region_id", "force_id"), PULSE_FIELDS,
                         pulses):
        redo.update(_pulse_slice(row) for row in pulses)
    for key in sorted(redo):
        recompute_slice(session, regions, key)


def recompute_slice(session, regions: RegionMap, key: tuple) -> None:
    """Recompute one slice (kind, grain, period, rollup region, force, unit)
    from the raw rows."""
    write_slices(session, read_slices(session, regions, {key}))


def read_slices(session, regions: RegionMap, keys) -> list[tuple]:
    """The rows of many slices (kind, grain, period, rollup region, force,
    unit) computed from the raw rows, one read per (kind, grain, period):
    [(model, (kind, grain, period), {(region, force, unit)}, rows)], for
    write_slices. Reads only."""
    groups: dict[tuple, set[tuple]] = defaultdict(set)
    for kind, grain, start, region, force, unit in keys:
        groups[(kind, grain, start)].add((region, force, unit))
    out = []
    for (kind, grain, start), wanted in sorted(groups.items()):
        raw = sorted({r for region, _f, _u in wanted for r in regions.raw_regions(region)})
        if kind == "pulse":
            places = {region for region, _f, _u in wanted}
            q = pulse_query().where(PulseResponse.region_id.in_(raw), PulseResponse.month >= start,
                                    PulseResponse.month <= period_end(start, "month"))
            rows = [r for r in pulse_aggregate(session.execute(q), regions) if r["region_id"] in places]
            out.append((PulseRollup, (kind, grain, start), wanted, rows))
            continue
        q = report_query().where(Report.region_id.in_(raw), Report.occurred_on >= start,
                                 Report.occurred_on <= period_end(start, grain))
        if grain == "week":
            q = q.where(Report.occurred_precision == "day")
        if len(wanted) == 1:  # one slice (the live path): its force and unit only
            (_region, force, unit), = wanted
            q = q.where(Report.force_id == force if force else Report.force_id.is_(None),
                        Report.unit_id == unit if unit else Report.unit_id.is_(None))
        agg = Aggregates()
        for r, cats in grouped_by_report(session.execute(q)):
            agg.add(r, cats, regions, grains=(grain,))
        out.append((ReportRollup, (kind, grain, start), wanted, count_rows(agg)))
        if grain == "month":
            out.append((DurationRollup, (kind, grain, start), wanted, duration_rows(agg)))
    return out


def write_slices(session, slices: list[tuple], skip=frozenset()) -> None:
    """Replace the rows of the slices read by read_slices (one delete and
    one insert each), except the slices in ``skip`` (full keys)."""
    for model, (kind, grain, start), wanted, rows in slices:
        keys = {k for k in wanted if (kind, grain, start, *k) not in skip}
        if not keys:
            continue
        if model is PulseRollup:
            where = [PulseRollup.region_id.in_(sorted({k[0] for k in keys}))]
            keep = [r for r in rows if (r["region_id"], 0, 0) in keys]
        else:
            where = [sa.tuple_(model.region_id, model.force_id, model.unit_id).in_(sorted(keys))]
            if model is ReportRollup:  # durations are monthly and have no grain column
                where.append(model.grain == grain)
            keep = [r for r in rows if r["period_start"] == start
                    and (r["region_id"], r["force_id"], r["unit_id"]) in keys]
        session.execute(sa.delete(model).where(model.period_start == start, *where))
        insert_rows(session, model.__table__, keep)


@contextlib.contextmanager
def paused(session=None):
    """Skip live upkeep (bulk loads); call ``rebuild()`` afterwards."""
    session = session or db.session
    session.info[PAUSED] = True
    try:
        yield
    finally:
        session.info.pop(PAUSED, None)
        session.info.pop(DIRTY, None)


def _old(state, attr):
    hist = state.attrs[attr].history
    if hist.deleted:
        return hist.deleted[0]
    return getattr(state.obj(), attr)


def _changed(state, attrs) -> bool:
    return any(state.attrs[a].history.has_changes() for a in attrs)


def _after_flush(session, _ctx) -> None:
    if session.info.get(PAUSED):
        return
    objs = [
        o for o in list(session.new) + list(session.dirty) + list(session.deleted)
        if isinstance(o, (Report, ReportCategory, Case, PulseResponse, Region))
    ]
    if not objs:
        return
    dirty = _dirty(session)
    new_reports = dirty["new_report_ids"]
    for obj in objs:  # reports first: a new report's categories are read with it
        if isinstance(obj, Report) and obj in session.new and obj not in session.deleted:
            new_reports.add(obj.id)
            dirty["new_objects"][(Report, obj.id)] = obj
    for obj in objs:
        state = inspect(obj)
        is_new = obj in session.new
        if isinstance(obj, Report):
            if obj.id in new_reports:
                continue  # added as it stands at commit
            now = _report_slices(obj.occurred_on, obj.occurred_precision, obj.region_id, obj.force_id, obj.unit_id)
            if obj in session.deleted:
                dirty["slices"].update(now)
            elif _changed(state, REPORT_ATTRS):
                dirty["slices"].update(now)
                dirty["slices"].update(
                    _report_slices(*(_old(state, a) for a in ("occurred_on", "occurred_precision", "region_id",
                                                               "force_id", "unit_id")))
                )
        elif isinstance(obj, ReportCategory):
            if obj.report_id in new_reports:
                continue
            if obj.report_id is not None:
                dirty["report_ids"].add(obj.report_id)
            if obj in session.deleted and obj.report is not None:
                r = obj.report
                dirty["slices"].update(_report_slices(r.occurred_on, r.occurred_precision, r.region_id, r.force_id,
                                                      r.unit_id))
        elif isinstance(obj, Case):
            if is_new:
                dirty["new_case_ids"].add(obj.id)
                dirty["case_ids"].add(obj.id)
            elif obj.id in dirty["new_case_ids"] or obj in session.deleted:
                dirty["case_ids"].add(obj.id)
            elif _changed(state, CASE_ATTRS):
                # As it was before the transaction's first change to it.
                dirty["case_old"].setdefault(obj.id, {a: _old(state, a) for a in CASE_ATTRS})
        elif isinstance(obj, Region):
            # A new region holds no report yet; a deleted one cannot hold any.
            if not is_new and obj not in session.deleted and _changed(state, REGION_ATTRS):
                dirty["moved_regions"].add(obj.id)
        elif isinstance(obj, PulseResponse):
            if is_new and obj not in session.deleted:
                # Added in place at commit, as it stands then (a later change
                # in this transaction marks its slices for a recompute).
                dirty["new_pulse_ids"].add(obj.id)
                dirty["new_objects"][(PulseResponse, obj.id)] = obj
                continue
            for month, region in {(obj.month, obj.region_id), (_old(state, "month"), _old(state, "region_id"))}:
                if month is not None and region is not None:
                    dirty["slices"].add(("pulse", "month", period_start(month, "month"), region, 0, 0))


def _before_commit(session) -> None:
    if session.info.get(PAUSED):
        return
    session.flush()
    if not session.info.get(DIRTY):
        return
    live = current_app.config.get("TRACKER_ROLLUP_LIVE", True) if has_app_context() else True
    if live:
        refresh(session)
    else:
        session.info.pop(DIRTY, None)


def _after_rollback(session) -> None:
    session.info.pop(DIRTY, None)


def _keep_old(_target, value, _oldvalue, _initiator):
    return value


def _after_soft_rollback(session, transaction) -> None:
    # A rolled-back savepoint keeps what earlier flushes noted (what it
    # noted itself is harmless: re-read or recomputed from the database).
    if not transaction.nested:
        _after_rollback(session)


def register_listeners() -> None:
    """Listen to every Flask-SQLAlchemy session (called by ``create_app``
    in configure_extensions; once per process, however
    many apps are made: the listeners are global to the Session class)."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    # Load the old value before a change (even on an expired object), so
    # that the slice a report or answer leaves is recomputed too, and what
    # a case's reports counted before it moved can be taken away.
    for attr in (Report.occurred_on, Report.occurred_precision, Report.region_id, Report.force_id, Report.unit_id,
                 PulseResponse.month, PulseResponse.region_id, *(getattr(Case, a) for a in CASE_ATTRS),
                 *(getattr(Region, a) for a in REGION_ATTRS)):
        event.listen(attr, "set", _keep_old, active_history=True, retval=True)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _after_soft_rollback)
