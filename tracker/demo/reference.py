"""Load reference data (regions, forces, units, operations, an oversight
body and its routing rule) from the CSV files in ``tracker/demo/data``.

Loading is idempotent: existing codes are updated, not duplicated.
"""
import csv
import os
from datetime import date

import sqlalchemy as sa

from tracker.demo.boundaries import load_boundaries
from tracker.extensions import db
from tracker.reference.models import Force, Operation, OversightBody, Region, RoutingRule, Unit

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
LANGS = ("en", "es", "fr", "ar")


def _rows(name: str):
    with open(os.path.join(DATA_DIR, name), encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _names(row: dict) -> dict:
    return {lang: row[f"name_{lang}"] for lang in LANGS if row.get(f"name_{lang}")}


def load_regions(path: str | None = None) -> int:
    """Load a region CSV (pcode, parent_pcode, level, kind, name_xx…)."""
    if path is None:
        rows = list(_rows("regions.csv"))
    else:
        with open(path, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    by_code = {r.pcode: r for r in db.session.scalars(sa.select(Region))}
    for row in sorted(rows, key=lambda r: int(r["level"])):
        region = by_code.get(row["pcode"]) or Region(pcode=row["pcode"])
        region.level = int(row["level"])
        region.kind = row["kind"] or "land"
        region.names = _names(row)
        region.parent = by_code.get(row["parent_pcode"]) if row["parent_pcode"] else None
        db.session.add(region)
        by_code[region.pcode] = region
    db.session.flush()
    return len(rows)


def load_forces() -> int:
    forces = {f.code: f for f in db.session.scalars(sa.select(Force))}
    count = 0
    for row in _rows("forces.csv"):
        if not row["unit_code"]:
            force = forces.get(row["force_code"]) or Force(code=row["force_code"])
            force.kind, force.names = row["kind"], _names(row)
            db.session.add(force)
            forces[force.code] = force
        else:
            force = forces[row["force_code"]]
            db.session.flush()
            unit = db.session.scalar(sa.select(Unit).filter_by(force_id=force.id, code=row["unit_code"]))
            unit = unit or Unit(force=force, code=row["unit_code"])
            unit.names = _names(row)
            db.session.add(unit)
        count += 1
    db.session.flush()
    return count


def load_operations() -> int:
    count = 0
    for row in _rows("operations.csv"):
        op = db.session.scalar(sa.select(Operation).filter_by(code=row["code"])) or Operation(code=row["code"])
        op.names = _names(row)
        op.force = db.session.scalar(sa.select(Force).filter_by(code=row["force_code"]))
        op.region = db.session.scalar(sa.select(Region).filter_by(pcode=row["region_pcode"]))
        op.starts_on = date.fromisoformat(row["starts_on"]) if row["starts_on"] else None
        op.ends_on = date.fromisoformat(row["ends_on"]) if row["ends_on"] else None
        db.session.add(op)
        count += 1
    db.session.flush()
    return count


def load_bodies() -> OversightBody:
    """One national oversight body, routed every (force, region)."""
    body = db.session.scalar(sa.select(OversightBody).filter_by(code="NOC"))
    if body is None:
        body = OversightBody(
            code="NOC",
            names={
                "en": "National Oversight Commission",
                "es": "Comisión Nacional de Supervisión",
                "fr": "Commission nationale de contrôle",
                "ar": "الهيئة الوطنية للرقابة",
            },
            email="oversight@example.org",
        )
        db.session.add(body)
        db.session.flush()
        db.session.add(RoutingRule(body=body))
        db.session.flush()
    return body


def load_reference_data() -> None:
    """Everything the demo and the tests need before the first report."""
    load_regions()
    load_forces()
    load_operations()
    load_bodies()
    load_boundaries()
