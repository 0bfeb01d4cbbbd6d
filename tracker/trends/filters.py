"""The /trends filter form (GET): parsing with translated errors, keeping
what was typed, and the scope a user may see."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.metrics.anonymise import period_end, period_start, shift_period
from tracker.metrics.queries import Filters, Scope
from tracker.metrics.trends import DEFAULT_SPAN

MAX_PERIODS = {"month": 60, "week": 105}


@dataclass
class FilterForm:
    values: dict
    errors: dict = field(default_factory=dict)
    provinces: list = field(default_factory=list)  # [(pcode, name)]
    units: list = field(default_factory=list)  # [(id, name)]
    forces: list = field(default_factory=list)  # [(code, name)] (supervisors)
    categories: list = field(default_factory=list)  # [(code, label)]


def user_scope(user, force_code: str | None = None) -> tuple[Scope, list]:
    """Commanders: their force, and only their units if the account names
    some. Supervisors: every force, or the one chosen."""
    from tracker.reference.models import Force

    forces = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    if user.role == "commander":
        unit_ids = tuple(sorted(u.id for u in user.units)) or None
        return Scope("commander", (user.force_id,), unit_ids), []
    chosen = next((f for f in forces if f.code == force_code), None)
    return Scope("commander", (chosen.id,) if chosen else None, None), [(f.code, f.name()) for f in forces]


def _month(text: str) -> date | None:
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def parse_filters(args, user) -> tuple[FilterForm, Scope, Filters]:
    """Read grain, from/to (YYYY-MM), province (P-code), category (code),
    unit (id) and, for supervisors, force (code). Bad values get an error
    next to their field and fall back to the default."""
    from tracker.reference.models import CATEGORIES, Region, Unit

    values = {name: (args.get(name) or "").strip() for name in ("grain", "from", "to", "province", "category", "unit", "force")}
    form = FilterForm(values)
    scope, form.forces = user_scope(user, values["force"] or None)

    grain = values["grain"] or "month"
    if grain not in ("month", "week"):
        form.errors["grain"] = _("Choose weeks or months.")
        grain = "month"

    today = utcnow().date()
    default_first = shift_period(period_start(today, "month"), "month", -(DEFAULT_SPAN["month"] - 1))
    if grain == "week":
        default_first = period_start(shift_period(period_start(today, "week"), "week", -(DEFAULT_SPAN["week"] - 1)), "month")
    first_m, last_m = default_first, period_start(today, "month")
    if values["from"]:
        parsed = _month(values["from"])
        if parsed is None:
            form.errors["from"] = _("Write the month as YYYY-MM, for example 2026-03.")
        else:
            first_m = parsed
    if values["to"]:
        parsed = _month(values["to"])
        if parsed is None:
            form.errors["to"] = _("Write the month as YYYY-MM, for example 2026-03.")
        else:
            last_m = parsed
    if last_m < first_m:
        form.errors["to"] = _("The end month must not be before the start month.")
        first_m, last_m = default_first, period_start(today, "month")
    if grain == "week":
        first = period_start(first_m, "week")
        if first < first_m:
            first = shift_period(first, "week", 1)
        last = period_start(min(period_end(last_m, "month"), today), "week")
        if last < first:
            last = first
    else:
        first, last = first_m, last_m
    count = 0
    cur = first
    while cur <= last and count <= MAX_PERIODS[grain]:
        cur = shift_period(cur, grain, 1)
        count += 1
    if count > MAX_PERIODS[grain]:
        form.errors["from"] = _("Choose at most %(n)s periods.", n=MAX_PERIODS[grain])
        first = shift_period(last, grain, -(MAX_PERIODS[grain] - 1))

    form.provinces = [
        (r.pcode, r.name()) for r in db.session.scalars(sa.select(Region).where(Region.level == 1).order_by(Region.pcode))
    ]
    province_id = None
    if values["province"]:
        region = db.session.scalar(sa.select(Region).where(Region.pcode == values["province"], Region.level == 1))
        if region is None:
            form.errors["province"] = _("Choose a province from the list.")
        else:
            province_id = region.id

    form.categories = [(code, str(label)) for code, label in CATEGORIES.items()]
    category = None
    if values["category"]:
        if values["category"] in CATEGORIES:
            category = values["category"]
        else:
            form.errors["category"] = _("Choose a category from the list.")

    unit_q = sa.select(Unit).order_by(Unit.code)
    if scope.unit_ids is not None:
        unit_q = unit_q.where(Unit.id.in_(scope.unit_ids))
    elif scope.force_ids is not None:
        unit_q = unit_q.where(Unit.force_id.in_(scope.force_ids))
    units = db.session.scalars(unit_q).all()
    form.units = [(str(u.id), u.name()) for u in units]
    unit_id = None
    if values["unit"]:
        match = next((u for u in units if str(u.id) == values["unit"]), None)
        if match is None:
            form.errors["unit"] = _("Choose a unit from the list.")
        else:
            unit_id = match.id
    if values["force"] and scope.force_ids is None and form.forces:
        form.errors["force"] = _("Choose a force from the list.")

    return form, scope, Filters(grain, first, last, province_id, category, unit_id)
