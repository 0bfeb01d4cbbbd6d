"""The reference data the generator draws on (districts, forces, units,
oversight bodies, officers), read once from the database before any row is
built, so that building rows needs no database."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from tracker.demo.synthetic.shape import FORCE_MIX, MARITIME_FORCE_MIX, PROVINCE_WEIGHTS, _Chooser
from tracker.extensions import db


@dataclass
class _District:
    id: int
    pcode: str
    province: str
    maritime: bool
    ancestors: frozenset[int]
    forces: _Chooser | None = None


@dataclass
class _World:
    """A plain snapshot of the reference data the generator draws from."""

    districts: list[_District]
    district_chooser: _Chooser
    by_pcode: dict[str, _District]
    forces: dict[str, int]
    units: dict[tuple[str, str], int]
    operations: list[tuple[int, int | None, int | None, date | None, date | None]]
    routes: dict[tuple[int | None, int], int | None] = field(default_factory=dict)
    organisation: tuple[int, int | None] | None = None  # (org id, partner user id)
    officers: dict[int, list[int]] = field(default_factory=dict)  # body id → officer/supervisor ids


def _load_world() -> _World:
    from tracker.reference.models import Force, Operation, Region, Unit

    regions = {r.id: r for r in db.session.scalars(sa.select(Region).order_by(Region.id))}
    if not regions:
        raise RuntimeError("No regions: load the reference data first.")
    forces = {f.code: f.id for f in db.session.scalars(sa.select(Force).order_by(Force.id))}
    force_code_by_id = {v: k for k, v in forces.items()}
    units = {(force_code_by_id[u.force_id], u.code): u.id for u in db.session.scalars(sa.select(Unit).order_by(Unit.id))}

    districts = []
    max_level = max(r.level for r in regions.values())
    for region in sorted(regions.values(), key=lambda r: r.pcode):
        if region.level != max_level:
            continue
        ancestors = {a.id for a in region.ancestors()} | {region.id}
        province = region.at_level(1).pcode if region.level >= 1 else region.pcode
        districts.append(_District(region.id, region.pcode, province, region.kind == "maritime", frozenset(ancestors)))
    counts: dict[str, int] = {}
    for d in districts:
        counts[d.province] = counts.get(d.province, 0) + 1
    weights = [PROVINCE_WEIGHTS.get(d.province, 1.0) / counts[d.province] for d in districts]

    default_mix = [(code, None, 1) for code in forces]
    for d in districts:
        mix = MARITIME_FORCE_MIX if d.maritime else FORCE_MIX.get(d.province, default_mix)
        mix = [(f, u, w) for f, u, w in mix if f in forces and (u is None or (f, u) in units)] or default_mix
        d.forces = _Chooser([(f, u) for f, u, _ in mix], [w for *_, w in mix]) if mix else None

    operations = []
    for op in db.session.scalars(sa.select(Operation).order_by(Operation.id)):
        operations.append((op.id, op.force_id, op.region_id, op.starts_on, op.ends_on))

    world = _World(districts, _Chooser(districts, weights), {d.pcode: d for d in districts}, forces, units, operations)
    world.organisation = _partner_organisation()
    world.officers = _officers()
    return world


def _officers() -> dict[int, list[int]]:
    """Officers and supervisors per body (the demo logins), to assign cases to."""
    from tracker.accounts.models import User

    out: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(User.body_id, User.id).where(User.role.in_(("officer", "supervisor")), User.body_id.is_not(None))
        .order_by(User.id)
    )
    for body_id, user_id in rows:
        out.setdefault(body_id, []).append(user_id)
    return out


def _partner_organisation() -> tuple[int, int | None] | None:
    """The first partner organisation (and one of its users), if demo users exist."""
    from tracker.accounts.models import Organisation, User

    org = db.session.scalar(sa.select(Organisation).order_by(Organisation.id).limit(1))
    if org is None:
        return None
    user_id = db.session.scalar(
        sa.select(User.id).where(User.organisation_id == org.id, User.role == "partner").order_by(User.id).limit(1)
    )
    return org.id, user_id


def _route(world: _World, force_id: int | None, district: _District) -> int | None:
    """The oversight body for (force, region) by the routing rules, cached."""
    key = (force_id, district.id)
    try:
        return world.routes[key]
    except KeyError:
        from tracker.reference.routing import route

        body = route(force_id, district.id)
        world.routes[key] = body.id if body is not None else None
        return world.routes[key]


def _precompute_routes(world: _World) -> None:
    """Route every (force or none, district) pair now, so that generating rows
    needs no database (the producer process must not touch it)."""
    for district in world.districts:
        for force_id in [None, *world.forces.values()]:
            _route(world, force_id, district)


def _severity_function():
    from tracker.intake.severity import compute_severity

    cache: dict[tuple, str] = {}

    def severity(categories: list[str], harm: dict, victims: dict) -> str:
        key = (tuple(categories), tuple(harm.values()), tuple(victims.values()))
        found = cache.get(key)
        if found is None:
            found = cache[key] = compute_severity(categories, harm, victims)
        return found

    return severity
