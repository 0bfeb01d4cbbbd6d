"""The /trends filter form (GET): parsing with translated errors, keeping
what was typed, and the scope a user may see."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.extensions import db
from tracker.metrics.published import periods_of, released_months, scope_name
from tracker.metrics.queries import Scope
from tracker.metrics.trends import View, default_months

MAX_PERIODS = {"month": 60, "week": 105}


@dataclass
class FilterForm:
    values: dict
    errors: dict = field(default_factory=dict)
    provinces: list = field(default_factory=list)  # [(pcode, name)]
    units: list = field(default_factory=list)  # [(id, name)]
    forces: list = field(default_factory=list)  # [(code, name)] (supervisors)
    categories: list = field(default_factory=list)  # [(code, label)]
    released: list = field(default_factory=list)  # released months


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


def parse_filters(args, user) -> tuple[FilterForm, View]:
    """Read grain, from/to (YYYY-MM), province (P-code), category (code),
    unit (id) and, for supervisors, force (code), into a release view.
    Ranges are whole released months; at most one of province, kind of
    harm and unit. Anything else gets a message next to its field and
    falls back to what the release has."""
    from tracker.reference.models import CATEGORIES, Region, Unit

    values = {name: (args.get(name) or "").strip() for name in ("grain", "from", "to", "province", "category", "unit", "force")}
    form = FilterForm(values)
    scope, form.forces = user_scope(user, values["force"] or None)

    grain = values["grain"] or "month"
    if grain not in ("month", "week"):
        form.errors["grain"] = _("Choose weeks or months.")
        grain = "month"

    released = released_months()
    form.released = released
    default = default_months(grain)
    first_m, last_m = (default[0], default[-1]) if default else (None, None)
    for name in ("from", "to"):
        if not values[name]:
            continue
        parsed = _month(values[name])
        if parsed is None:
            form.errors[name] = _("Write the month as YYYY-MM, for example 2026-03.")
        elif released and parsed > released[-1]:
            form.errors[name] = _("Figures are published up to %(month)s: later months are not complete yet.",
                                  month=released[-1].strftime("%Y-%m"))
            if name == "to":
                last_m = released[-1]
        elif name == "from":
            first_m = parsed
        else:
            last_m = parsed
    if first_m and last_m and last_m < first_m:
        form.errors["to"] = _("The end month must not be before the start month.")
        first_m, last_m = (default[0], default[-1]) if default else (None, None)
    months = [m for m in released if first_m and first_m <= m <= last_m]
    if len(periods_of(months, grain)) > MAX_PERIODS[grain]:
        form.errors["from"] = _("Choose at most %(n)s periods.", n=MAX_PERIODS[grain])
        months = months[-(MAX_PERIODS[grain] // (1 if grain == "month" else 5)):]

    form.provinces = [
        (r.pcode, r.name()) for r in db.session.scalars(sa.select(Region).where(Region.level == 1).order_by(Region.pcode))
    ]
    province = None
    if values["province"]:
        if values["province"] in {code for code, _name in form.provinces}:
            province = values["province"]
        else:
            form.errors["province"] = _("Choose a province from the list.")

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
    else:
        unit_q = unit_q.where(sa.false())  # units are published per force
    units = db.session.scalars(unit_q).all()
    form.units = [(str(u.id), u.name()) for u in units]
    unit = None
    if values["unit"]:
        match = next((u for u in units if str(u.id) == values["unit"]), None)
        if match is None:
            form.errors["unit"] = _("Choose a unit from the list.")
        else:
            unit = str(match.id)
    if values["force"] and scope.force_ids is None and form.forces:
        form.errors["force"] = _("Choose a force from the list.")

    chosen = [name for name, v in (("province", province), ("category", category), ("unit", unit)) if v]
    if len(chosen) > 1:
        # The release has no cross-tabulations: keep the first choice.
        for name in chosen[1:]:
            form.errors[name] = _("The figures are published for one province, one kind of harm or one unit "
                                  "at a time, not for combinations. Choose one.")
        province, category, unit = (v if name == chosen[0] else None
                                    for name, v in (("province", province), ("category", category), ("unit", unit)))
    units_only = tuple(str(u) for u in scope.unit_ids) if scope.unit_ids is not None else None
    if units_only is not None and (province or category):
        form.errors["province" if province else "category"] = _(
            "Your account covers some units only: choose one of your units.")
        province = category = None
    view = View(scope_name(scope.force_ids), grain, tuple(months), province, category, unit, units_only)
    return form, view
