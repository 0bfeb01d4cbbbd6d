"""The report form as an XLSForm and an XForm, from the web form's sources.

The choices (categories, precisions, parts of day, regions with their
P-codes, forces and units, operations, relationships, needs, victim groups)
and the question labels are the very objects the web form uses
(tracker.intake.forms.ReportForm, tracker.intake.models, reference data),
with every configured language as a ``label::<English name> (<tag>)`` column. The
XLSForm is built as a workbook (openpyxl) and turned into the XForm by
pyxform, so the download and the served form cannot drift apart.

API::

    form = current_form()          # cached until reference data or languages change
    form.xform                     # the XForm (str), with itext in every language
    form.xlsx                      # the XLSForm workbook (bytes)
    form.version, form.md5         # for formList
    raw = submission_to_raw(values, photo_names)   # a submission's fields → validate_report input
"""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from pyxform.xls2xform import convert

from tracker.extensions import db
from tracker.intake.forms import ReportForm
from tracker.intake.models import NEEDS, PARTS_OF_DAY, PRECISIONS, RELATIONSHIPS, VICTIM_GROUPS
from tracker.intake.schema import HARM_NUMBERS, MAX_COUNT
from tracker.reference.models import CATEGORIES, REGION_LEVELS, Force, Operation, Region

FORM_ID = "tracker_report"
UNIT_SEPARATOR = "__"  # choice names must be XML-friendly: FORCE__UNIT
YES, NO = "yes", "no"


@dataclass(frozen=True)
class BuiltForm:
    xform: str
    xlsx: bytes
    version: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xform.encode("utf-8")).hexdigest()  # noqa: S324 - OpenRosa's formList hash


def _languages() -> dict[str, str]:
    return dict(current_app.config["LANGUAGES"])


def _column(code: str, name: str) -> str:
    """``Arabic (ar)``: the English name and the language tag, as ODK
    recommends. (Enketo detects a language's direction from its labels and
    misses it for a non-ASCII name such as ``العربية (ar)``.)"""
    tag = code.replace("_", "-")
    try:
        english = Locale.parse(code).get_language_name("en") or name
    except (ValueError, UnknownLocaleError):
        english = name
    return f"{english} ({tag})"


def _label(text_or_lazy, lang: str) -> str:
    with force_locale(lang):
        return str(text_or_lazy)


def _field_label(name: str):
    """The label of the web form's field ``name`` (a lazy string)."""
    return getattr(ReportForm, name).args[0]


YES_NO = {YES: _l("Yes"), NO: _l("No")}
LOCATION_LABEL = _l("Where exactly? Your location, if it is safe to record it (optional)")
VICTIMS_LABEL = _l("Were any of these among the people harmed?")


def _labels(value, langs: dict[str, str]) -> dict[str, str]:
    """label::<lang> cells for a lazy string, or for a {lang: name} mapping."""
    out = {}
    for code, name in langs.items():
        text = value.get(code) or value.get("en") or next(iter(value.values()), "") if isinstance(value, Mapping) else _label(value, code)
        out[f"label::{_column(code, name)}"] = text
    return out


def _choices(langs: dict[str, str]) -> list[dict]:
    rows: list[dict] = []

    def add(list_name: str, items, **extra):
        for code, label in items:
            rows.append({"list_name": list_name, "name": code, **_labels(label, langs), **extra})

    add("category", CATEGORIES.items())
    add("precision", PRECISIONS.items())
    add("part_of_day", PARTS_OF_DAY.items())
    add("yes_no", YES_NO.items())
    add("victims", VICTIM_GROUPS.items())
    add("relationship", RELATIONSHIPS.items())
    add("needs", NEEDS.items())
    provinces = db.session.scalars(sa.select(Region).where(Region.level == 1).order_by(Region.pcode)).all()
    add("province", [(p.pcode, p.names) for p in provinces])
    for province in provinces:
        # The province itself first, as on the web form ("not sure where exactly").
        unsure = {
            code: _label(_l("%(province)s: not sure where exactly",
                            province=province.names.get(code) or province.names.get("en", province.pcode)), code)
            for code in langs
        }
        rows.append({"list_name": "region", "name": province.pcode, **_labels(unsure, langs), "province": province.pcode})
        for district in province.children:
            rows.append({"list_name": "region", "name": district.pcode, **_labels(district.names, langs),
                         "province": province.pcode})
    forces = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    forces.sort(key=lambda f: (f.kind == "unknown", f.code))
    add("force", [(f.code, f.names) for f in forces])
    for force in forces:
        for unit in force.units:
            rows.append({"list_name": "unit", "name": f"{force.code}{UNIT_SEPARATOR}{unit.code}",
                         **_labels(unit.names, langs), "force": force.code})
    ops = db.session.scalars(sa.select(Operation).order_by(Operation.code)).all()
    add("operation", [(o.code, o.names) for o in ops])
    return rows


def _survey(langs: dict[str, str]) -> list[dict]:
    def q(type_: str, name: str, label, **extra) -> dict:
        return {"type": type_, "name": name, **_labels(label, langs), **extra}

    rows = [
        q("select_multiple category", "categories", _field_label("categories"), required="yes"),
        q("text", "narrative", _field_label("narrative"), appearance="multiline"),
        q("select_one precision", "occurred_on_precision", _field_label("occurred_on_precision"), default="day",
          required="yes"),
        q("date", "occurred_on", _field_label("occurred_on"), required="yes"),
        q("select_one part_of_day", "part_of_day", _field_label("part_of_day")),
        q("select_one province", "province", REGION_LEVELS[1], required="yes"),
        q("select_one region", "region", _field_label("region"), required="yes", choice_filter="province=${province}"),
        q("text", "place_description", _field_label("place_description")),
        q("geopoint", "location", LOCATION_LABEL),
        q("select_one force", "force", _field_label("force")),
        q("select_one unit", "unit", _field_label("unit"), choice_filter="force=${force}", relevant="${force} != ''"),
        q("text", "unit_description", _field_label("unit_description")),
        q("select_one operation", "operation", _field_label("operation")),
    ]
    for key in HARM_NUMBERS:
        rows.append(q("integer", f"harm_{key}", _field_label(f"harm_{key}"),
                      constraint=f". >= 0 and . <= {MAX_COUNT}"))
    rows += [
        q("select_one yes_no", "property_damaged", _field_label("property_damaged")),
        q("select_multiple victims", "victims", VICTIMS_LABEL),
        q("select_one relationship", "relationship", _field_label("relationship")),
        q("select_multiple needs", "needs", _field_label("needs")),
        q("select_one yes_no", "consent_contact", _field_label("consent_contact"), default=NO, required="yes"),
        q("select_one yes_no", "consent_statistics", _field_label("consent_statistics"), default=YES, required="yes"),
        q("select_one yes_no", "consent_referral", _field_label("consent_referral"), default=NO, required="yes"),
    ]
    for key in ("name", "phone", "safe_times"):
        rows.append(q("text", f"contact_{key}", _field_label(f"contact_{key}"), relevant="${consent_contact} = 'yes'"))
    previous = None
    for n in range(1, current_app.config["MAX_PHOTOS"] + 1):
        extra = {"relevant": f"${{{previous}}} != ''"} if previous else {}
        rows.append(q("image", f"photo_{n}", _l("Photo %(n)s (optional)", n=n), parameters="max-pixels=2048", **extra))
        previous = f"photo_{n}"
    return rows


def _settings(langs: dict[str, str], version: str) -> list[dict]:
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return [{
        "form_title": _label(FORM_TITLE, default),
        "form_id": FORM_ID,
        "version": version,
        "default_language": _column(default, langs.get(default, default)),
    }]


FORM_TITLE = _l("Report harm from a security operation")


def _workbook(sheets: dict[str, list[dict]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        header: list[str] = []
        for row in rows:
            header += [k for k in row if k not in header]
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(k, "") for k in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_form() -> BuiltForm:
    """Build the XLSForm from the current reference data and languages, and
    the XForm from it with pyxform. Needs an application context."""
    langs = _languages()
    survey, choices = _survey(langs), _choices(langs)
    digest = hashlib.sha256(json.dumps([survey, choices], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    version = digest[:12]
    xlsx = _workbook({"survey": survey, "choices": choices, "settings": _settings(langs, version)})
    result = convert(xlsform=xlsx, file_type=".xlsx", form_name="data")
    return BuiltForm(xform=result.xform, xlsx=xlsx, version=version)


def current_form() -> BuiltForm:
    """The form for the current reference data, built once per change
    (pyxform takes a moment) and kept in the application."""
    langs = _languages()
    key = hashlib.sha256(
        json.dumps([sorted(langs.items()), _reference_fingerprint()], ensure_ascii=False).encode()
    ).hexdigest()
    cache = current_app.extensions.setdefault("tracker_channels_form", {})
    if cache.get("key") != key:
        cache["form"] = build_form()
        cache["key"] = key
    return cache["form"]


def _reference_fingerprint() -> list:
    """Everything the choices are made of, cheaply (names included)."""
    regions = db.session.execute(sa.select(Region.pcode, Region.level, Region.parent_id, Region.names)
                                 .order_by(Region.pcode)).all()
    forces = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    ops = db.session.execute(sa.select(Operation.code, Operation.names).order_by(Operation.code)).all()
    return [
        [[r.pcode, r.level, r.parent_id, r.names] for r in regions],
        [[f.code, f.kind, f.names, [[u.code, u.names] for u in f.units]] for f in forces],
        [[o.code, o.names] for o in ops],
    ]


# --------------------------------------------------------------------------- submissions


def _words(value: str | None) -> list[str]:
    return (value or "").split()


def submission_to_raw(values: Mapping[str, str], language: str) -> dict:
    """The fields of a submission of this form (leaf name → text, as in the
    OpenRosa XML or Kobo's JSON) as the report fields of DESIGN §10, for
    tracker.intake.schema.validate_report(strict_types=False)."""
    get = values.get
    force, unit = get("force") or None, get("unit") or None
    if unit and UNIT_SEPARATOR in unit:
        unit_force, unit = unit.split(UNIT_SEPARATOR, 1)
        force = force or unit_force
    latitude = longitude = None
    location = _words(get("location"))
    if len(location) >= 2:
        latitude, longitude = location[0], location[1]
    victims = set(_words(get("victims")))
    return {
        "categories": _words(get("categories")),
        "narrative": get("narrative"),
        "occurred_on": get("occurred_on"),
        "occurred_on_precision": get("occurred_on_precision") or "day",
        "part_of_day": get("part_of_day") or None,
        "region": get("region") or get("province"),
        "place_description": get("place_description"),
        "latitude": latitude,
        "longitude": longitude,
        "force": force,
        "unit": unit,
        "unit_description": get("unit_description"),
        "operation": get("operation") or None,
        "harm": {
            **{k: get(f"harm_{k}") for k in HARM_NUMBERS},
            "property_damaged": get("property_damaged") or None,
        },
        "victims": {k: k in victims for k in VICTIM_GROUPS},
        "relationship": get("relationship") or None,
        "needs": _words(get("needs")),
        "consent": {
            "contact": get("consent_contact") or None,
            "statistics": get("consent_statistics") or None,
            "referral": get("consent_referral") or None,
        },
        "contact": {k: get(f"contact_{k}") for k in ("name", "phone", "safe_times")},
        "language": language,
    }


def photo_names(values: Mapping[str, str]) -> list[str]:
    """The attachment file names the submission refers to, in order."""
    return [values[k] for k in sorted(values) if k.startswith("photo_") and values[k]]
