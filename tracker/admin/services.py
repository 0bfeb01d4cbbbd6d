"""Reference data and settings managed by admins (DESIGN §2).

Each change is audited (codes and ids only). Callers commit. Errors are
``AdminError`` with a lazily translated message and the field it concerns.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from config import Config
from tracker.accounts.models import Organisation, User
from tracker.admin.settings import DEADLINE_MAX_HOURS, DEADLINE_MIN_HOURS, K_MAX, K_MIN, set_setting
from tracker.audit.service import record
from tracker.extensions import db
from tracker.intake.models import SEVERITY_ORDER
from tracker.reference import maps
from tracker.reference.models import FORCE_KINDS, Force, Operation, OversightBody, Region, RoutingRule, Unit

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
LANGS = tuple(Config.LANGUAGES)  # every shipped language can carry a name
REGION_COLUMNS = ("pcode", "parent_pcode", "level", "kind", "name_en")
MAX_REGION_CSV_BYTES = 5 * 1024 * 1024


class AdminError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _check_code(code: str, model, field: str = "code", column: str = "code") -> str:
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise AdminError(_l("Use 1 to 32 letters, digits, dots, dashes or underscores."), field)
    if db.session.scalar(sa.select(model).where(getattr(model, column) == code)) is not None:
        raise AdminError(_l("This code is already used."), field)
    return code


def _names(names: dict) -> dict:
    out = {lang: (names.get(lang) or "").strip() for lang in LANGS}
    out = {k: v for k, v in out.items() if v}
    if "en" not in out:
        raise AdminError(_l("Enter at least the English name."), "name_en")
    if any(len(v) > 200 for v in out.values()):
        raise AdminError(_l("A name may have at most 200 characters."), "name_en")
    return out


def missing_languages(names: dict) -> list[str]:
    """Shipped languages with no name: readers of those see the English one."""
    return [Config.LANGUAGES[lang] for lang in LANGS if not (names or {}).get(lang)]


def _audit(action: str, actor: User | None, obj, data: dict | None = None) -> None:
    record(action, actor=actor, object_type=obj.__tablename__, object_id=obj.id, data=data or {})


def create_organisation(code: str, name: str, *, actor: User | None) -> Organisation:
    """A civil-society organisation (partners belong to one)."""
    code = _check_code(code, Organisation)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AdminError(_l("Enter the organisation's name (at most 200 characters)."), "name")
    org = Organisation(code=code, name=name)
    db.session.add(org)
    db.session.flush()
    _audit("reference.organisation_created", actor, org, {"code": code})
    return org


def create_force(code: str, kind: str, names: dict, *, actor: User | None) -> Force:
    code = _check_code(code, Force)
    if kind not in FORCE_KINDS:
        raise AdminError(_l("Choose a kind of force."), "kind")
    force = Force(code=code, kind=kind, names=_names(names))
    db.session.add(force)
    db.session.flush()
    _audit("reference.force_created", actor, force, {"code": code})
    return force


def create_unit(force: Force | None, code: str, names: dict, *, actor: User | None) -> Unit:
    if force is None:
        raise AdminError(_l("Choose the force this unit belongs to."), "force")
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise AdminError(_l("Use 1 to 32 letters, digits, dots, dashes or underscores."), "code")
    if db.session.scalar(sa.select(Unit).filter_by(force_id=force.id, code=code)) is not None:
        raise AdminError(_l("This code is already used."), "code")
    unit = Unit(force=force, code=code, names=_names(names))
    db.session.add(unit)
    db.session.flush()
    _audit("reference.unit_created", actor, unit, {"code": code, "force": force.code})
    return unit


def rename_unit(unit: Unit, names: dict, *, actor: User | None) -> Unit:
    """Change a unit's names (its code and force stay). Audited."""
    unit.names = _names(names)
    db.session.flush()
    _audit("reference.unit_renamed", actor, unit, {"code": unit.code, "force": unit.force.code})
    return unit


def save_region(pcode: str, *, parent_pcode: str | None, level: str, kind: str, names: dict,
                actor: User | None, region: Region | None = None) -> Region:
    """Add one region, or change ``region`` (its P-code stays). A province
    or district needs a parent one level up; the tree cannot loop. Audited."""
    if level not in ("0", "1", "2"):
        raise AdminError(_l("Choose a level."), "level")
    if kind not in ("land", "maritime"):
        raise AdminError(_l("Choose a kind."), "kind")
    if region is None:
        pcode = _check_code(pcode, Region, "pcode", "pcode")
        region = Region(pcode=pcode)
    parent = None
    if parent_pcode:
        parent = db.session.scalar(sa.select(Region).where(Region.pcode == parent_pcode))
        if parent is None:
            raise AdminError(_l("The parent P-code is unknown."), "parent")
        if parent.level != int(level) - 1:
            raise AdminError(_l("The parent must be one level up (a district in a province, a province in a country)."),
                             "parent")
    elif level != "0":
        raise AdminError(_l("A province or district needs a parent P-code."), "parent")
    region.level, region.kind, region.parent = int(level), kind, parent
    region.names = _names(names)
    db.session.add(region)
    db.session.flush()
    _audit("reference.region_saved", actor, region, {"pcode": region.pcode})
    return region


def create_operation(
    code: str,
    names: dict,
    *,
    force: Force | None,
    region: Region | None,
    starts_on: date | None,
    ends_on: date | None,
    actor: User | None,
) -> Operation:
    code = _check_code(code, Operation)
    if starts_on and ends_on and ends_on < starts_on:
        raise AdminError(_l("The end date is before the start date."), "ends_on")
    op = Operation(code=code, names=_names(names), force=force, region=region, starts_on=starts_on, ends_on=ends_on)
    db.session.add(op)
    db.session.flush()
    _audit("reference.operation_created", actor, op, {"code": code})
    return op


def create_body(code: str, names: dict, email: str | None, *, actor: User | None) -> OversightBody:
    code = _check_code(code, OversightBody)
    email = (email or "").strip() or None
    if email and ("@" not in email or len(email) > 254):
        raise AdminError(_l("Enter a valid email address."), "email")
    body = OversightBody(code=code, names=_names(names), email=email)
    db.session.add(body)
    db.session.flush()
    _audit("reference.body_created", actor, body, {"code": code})
    return body


def create_routing_rule(
    *, force: Force | None, region: Region | None, body: OversightBody | None, actor: User | None
) -> RoutingRule:
    """(force, region) → body; an empty force or region matches any."""
    if body is None:
        raise AdminError(_l("Choose the oversight body."), "body")
    exists = db.session.scalar(
        sa.select(RoutingRule).where(
            RoutingRule.force_id.is_(None) if force is None else RoutingRule.force_id == force.id,
            RoutingRule.region_id.is_(None) if region is None else RoutingRule.region_id == region.id,
        )
    )
    if exists is not None:
        raise AdminError(_l("A rule for this force and region already exists. Delete it first."), "region")
    rule = RoutingRule(force=force, region=region, body=body)
    db.session.add(rule)
    db.session.flush()
    _audit(
        "reference.routing_rule_created", actor, rule,
        {"force": force.code if force else None, "region": region.pcode if region else None, "body": body.code},
    )
    return rule


def delete_routing_rule(rule: RoutingRule, *, actor: User | None) -> None:
    data = {"force": rule.force.code if rule.force else None, "region": rule.region.pcode if rule.region else None,
            "body": rule.body.code}
    rid = rule.id
    db.session.delete(rule)
    db.session.flush()
    record("reference.routing_rule_deleted", actor=actor, object_type="routing_rule", object_id=rid, data=data)


def import_boundaries(data: bytes, *, actor: User | None) -> int:
    """Load province and district outlines for the maps from GeoJSON bytes
    (tracker.reference.maps checks and simplifies them; nothing is stored if
    any feature is wrong). Audited with the P-codes loaded."""
    try:
        parsed = maps.parse_boundaries(data)
    except maps.BoundaryError as exc:
        raise AdminError(exc.message, "file") from exc
    count = maps.store_boundaries(parsed)
    record("reference.boundaries_loaded", actor=actor, object_type="region_boundary", object_id=None,
           data={"pcodes": [p.pcode for p in parsed][:500], "count": count})
    return count


def import_regions(data: bytes, *, actor: User | None) -> int:
    """Load regions from CSV bytes in the format of tracker/demo/data/regions.csv
    (pcode, parent_pcode, level, kind, name_en, name_es, name_fr, name_ar).
    The whole file is checked first; nothing is loaded if any row is wrong."""
    if len(data) > MAX_REGION_CSV_BYTES:
        raise AdminError(_l("The file is too large (at most 5 MB)."), "file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdminError(_l("The file must be a CSV file encoded in UTF-8."), "file") from exc
    header = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(header, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = [(c or "").strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    missing = [c for c in REGION_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(c for c in columns if c) or "—"
        raise AdminError(_l("The file lacks these columns: %(cols)s. Its first line has: %(found)s. Expected a "
                            "header line with pcode, parent_pcode, level, kind, name_en (separated by commas, "
                            "semicolons or tabs).", cols=", ".join(missing), found=found[:300]), "file")
    rows = list(reader)
    if not rows:
        raise AdminError(_l("The file has no rows."), "file")
    known = set(db.session.scalars(sa.select(Region.pcode)))
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        pcode = (row.get("pcode") or "").strip()
        level = (row.get("level") or "").strip()
        if not CODE_RE.match(pcode) or pcode in seen:
            raise AdminError(_l("Line %(n)s: the P-code is missing, not valid or repeated.", n=n), "file")
        if level not in ("0", "1", "2"):
            raise AdminError(_l("Line %(n)s: the level must be 0, 1 or 2.", n=n), "file")
        if (row.get("kind") or "land") not in ("land", "maritime"):
            raise AdminError(_l("Line %(n)s: the kind must be land or maritime.", n=n), "file")
        if not (row.get("name_en") or "").strip():
            raise AdminError(_l("Line %(n)s: the English name is missing.", n=n), "file")
        parent = (row.get("parent_pcode") or "").strip()
        if level != "0" and not parent:
            raise AdminError(_l("Line %(n)s: a province or district needs a parent P-code.", n=n), "file")
        seen.add(pcode)
    all_codes = known | seen
    for n, row in enumerate(rows, start=2):
        parent = (row.get("parent_pcode") or "").strip()
        if parent and parent not in all_codes:
            raise AdminError(_l("Line %(n)s: the parent P-code is unknown.", n=n), "file")
    # Same rules as tracker.demo.reference.load_regions (idempotent: existing
    # P-codes are updated), from memory rather than a path.
    by_code = {r.pcode: r for r in db.session.scalars(sa.select(Region))}
    for row in sorted(rows, key=lambda r: int(r["level"])):
        pcode = row["pcode"].strip()
        region = by_code.get(pcode) or Region(pcode=pcode)
        region.level = int(row["level"])
        region.kind = (row.get("kind") or "").strip() or "land"
        region.names = {lang: row[f"name_{lang}"].strip() for lang in LANGS if (row.get(f"name_{lang}") or "").strip()}
        parent = (row.get("parent_pcode") or "").strip()
        region.parent = by_code.get(parent) if parent else None
        db.session.add(region)
        by_code[pcode] = region
    db.session.flush()
    count = len(rows)
    record("reference.regions_imported", actor=actor, object_type="region", data={"rows": count})
    return count


def save_settings(*, deadlines: dict[str, int], k_threshold: int, actor: User | None) -> None:
    """Triage deadlines (hours, per severity) and the K threshold. Audited."""
    clean = {}
    for sev in SEVERITY_ORDER:
        value = deadlines.get(sev)
        if not isinstance(value, int) or not DEADLINE_MIN_HOURS <= value <= DEADLINE_MAX_HOURS:
            raise AdminError(_l("Enter a number of hours between 1 and 8760."), f"deadline_{sev}")
        clean[sev] = value
    if not isinstance(k_threshold, int) or isinstance(k_threshold, bool) or not K_MIN <= k_threshold <= K_MAX:
        raise AdminError(_l("Enter a number between 2 and 1000."), "k_threshold")
    set_setting("triage_deadlines", clean)
    set_setting("k_threshold", k_threshold)
    record("settings.changed", actor=actor, object_type="setting",
           data={"triage_deadlines": clean, "k_threshold": k_threshold})
