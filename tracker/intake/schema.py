"""Validation of a report, shared by the HTML form and the JSON API.

One function, :func:`validate_report`, turns raw input (API field names of
DESIGN §10) into a :class:`ReportData` of clean values, or into a dict of
errors keyed by dotted field path (``"harm.killed"``, ``"region"``) whose
values are messages translated at call time.

``strict_types=True`` (JSON API): every value must already have the right JSON
type: ``"killed": "3"`` or ``"killed": true`` is an error. ``strict_types=False``
(HTML form): strings are converted (``"3"`` → 3, ``"y"``/``"on"`` → True,
``""`` → empty). ``None`` always means "not given".

Rules (each has a test in tests/intake/test_schema.py):

- at least one category; every code known (categories, relationship, needs,
  part of day, precision, language, force/unit/operation);
- ``occurred_on`` required, ``YYYY-MM-DD``; with precision ``month`` also
  ``YYYY-MM`` (stored as the 1st); not before 1990-01-01; not in the future,
  allowing one day ahead of today's UTC date because a reporter east of UTC may
  already be on "tomorrow" (so the day after tomorrow is always an error);
- ``region``: an existing P-code of a province, district or maritime zone (the
  country alone is too vague);
- ``unit`` must belong to ``force``; a unit given without a force whose code is
  unique fills the force in;
- latitude in [-90, 90], longitude in [-180, 180], both or neither, rounded to
  2 decimals (~1 km);
- numbers: integers 0..100000;
- text: narrative ≤ 20000 characters, other text ≤ 500; surrounding white
  space trimmed, empty text is "not given";
- harm numbers left empty are unknown (None), not 0;
- contact details given without ``consent.contact``: in the web form an
  error on ``consent.contact`` (asked, not silently dropped); through the API
  they are dropped;
- pulse answers 1..5 or null ("prefer not to say").

The function never raises, whatever the shape of its input.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import NEEDS, PARTS_OF_DAY, PRECISIONS, PULSE_QUESTIONS, RELATIONSHIPS, VICTIM_GROUPS
from tracker.reference.models import CATEGORIES, Force, Operation, Region, Unit

MAX_NARRATIVE = 20000
MAX_TEXT = 500
MAX_COUNT = 100_000
MAX_IDEMPOTENCY_KEY = 200
EARLIEST_DATE = date(1990, 1, 1)

HARM_NUMBERS = ("killed", "injured", "detained", "missing", "displaced_households")
CONTACT_FIELDS = ("name", "phone", "safe_times")
PULSE_KEYS = tuple(PULSE_QUESTIONS)

_TRUE = {"1", "true", "y", "yes", "on"}
_FALSE = {"", "0", "false", "n", "no", "off"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


@dataclass
class ReportData:
    """A validated report: every value clean and ready to store."""

    categories: list[str]
    occurred_on: date
    occurred_precision: str = "day"
    part_of_day: str | None = None
    region_id: int = 0
    region_pcode: str = ""
    place_description: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    force_id: int | None = None
    force_code: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    unit_description: str | None = None
    operation_id: int | None = None
    operation_code: str | None = None
    narrative: str | None = None
    killed: int | None = None  # None: not given ("leave empty if you do not know")
    injured: int | None = None  # None: not given ("leave empty if you do not know")
    detained: int | None = None  # None: not given ("leave empty if you do not know")
    missing: int | None = None  # None: not given ("leave empty if you do not know")
    displaced_households: int | None = None  # None: not given ("leave empty if you do not know")
    property_damaged: bool = False
    victims: dict[str, bool] = field(default_factory=lambda: {k: False for k in VICTIM_GROUPS})
    relationship: str | None = None
    needs: list[str] = field(default_factory=list)
    consent_contact: bool = False
    consent_statistics: bool = True
    consent_referral: bool = False
    contact: dict[str, str] | None = None
    pulse: dict[str, int | None] | None = None
    language: str = "en"
    idempotency_key: str | None = None

    @property
    def harm(self) -> dict:
        out = {k: getattr(self, k) for k in HARM_NUMBERS}
        out["property_damaged"] = self.property_damaged
        return out


@dataclass
class PulseData:
    """A validated standalone trust-pulse answer set."""

    region_id: int
    region_pcode: str
    answers: dict[str, int | None]
    language: str = "en"


class _Collector:
    """Reads one raw mapping, converting values and collecting errors."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.errors: dict[str, str] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    # -- containers ---------------------------------------------------------
    def mapping(self, raw: Mapping, key: str) -> Mapping:
        value = raw.get(key)
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.error(key, _("This must be a group of fields (an object)."))
        return {}

    # -- scalars ------------------------------------------------------------
    def text(self, value, path: str, limit: int = MAX_TEXT) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            if self.strict or not isinstance(value, (int, float)) or isinstance(value, bool):
                self.error(path, _("This must be text."))
                return None
            value = str(value)
        value = value.replace("\x00", "").strip()
        if not value:
            return None
        if len(value) > limit:
            self.error(path, _("This is too long: at most %(n)s characters.", n=limit))
            return None
        return value

    def code(self, value, path: str) -> str | None:
        value = self.text(value, path, limit=64)
        return value

    def boolean(self, value, path: str, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if not self.strict:
            if isinstance(value, str) and value.strip().lower() in _TRUE:
                return True
            if isinstance(value, str) and value.strip().lower() in _FALSE:
                return False
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
        self.error(path, _("This must be yes or no (true or false)."))
        return default

    def integer(self, value, path: str, *, minimum: int, maximum: int, default: int | None) -> int | None:
        if value is None:
            return default
        if isinstance(value, bool):
            self.error(path, _("This must be a whole number."))
            return default
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and not self.strict and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and not self.strict:
            stripped = value.strip()
            if stripped == "":
                return default
            negative = stripped.startswith("-")
            digits = stripped[1:] if negative else stripped
            if not digits.isdecimal():
                self.error(path, _("This must be a whole number."))
                return default
            if len(digits) > 15:  # far out of range; also spares int() a huge string
                self.error(path, _("This must be a number from %(low)s to %(high)s.", low=minimum, high=maximum))
                return default
            number = -int(digits) if negative else int(digits)
        else:
            self.error(path, _("This must be a whole number."))
            return default
        if number < minimum or number > maximum:
            self.error(path, _("This must be a number from %(low)s to %(high)s.", low=minimum, high=maximum))
            return default
        return number

    def number(self, value, path: str, *, limit: float) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool):
            self.error(path, _("This must be a number."))
            return None
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str) and not self.strict:
            stripped = value.strip()
            if stripped == "":
                return None
            if stripped.count(",") == 1 and "." not in stripped:
                stripped = stripped.replace(",", ".")  # "4,61": a decimal comma, as many phones type it
            try:
                number = float(stripped)
            except ValueError:
                self.error(path, _("This must be a number."))
                return None
        else:
            self.error(path, _("This must be a number."))
            return None
        if not math.isfinite(number) or abs(number) > limit:
            self.error(path, _("This must be a number from %(low)s to %(high)s.", low=-limit, high=limit))
            return None
        return round(number, 2)

    def code_list(self, value, path: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str) and not self.strict:
            value = [value]
        if not isinstance(value, (list, tuple)):
            self.error(path, _("This must be a list."))
            return []
        out: list[str] = []
        for item in value:
            if not isinstance(item, str):
                self.error(path, _("This must be a list of codes."))
                return []
            item = item.strip()
            if item and item not in out:
                out.append(item)
        return out

    def pulse_answer(self, value, path: str) -> int | None:
        if isinstance(value, str) and not self.strict and value.strip().lower() in ("", "na", "none", "0"):
            return None
        return self.integer(value, path, minimum=1, maximum=5, default=None)


def _language(c: _Collector, value) -> str:
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    lang = c.code(value, "language")
    if lang is None:
        return default
    if lang not in current_app.config["LANGUAGES"]:
        c.error("language", _("Unknown language."))
        return default
    return lang


def latest_occurred_on() -> date:
    """The latest date an incident may have happened on: today, in the time
    zone furthest ahead of UTC, i.e. one day after today's UTC date. The form's
    date picker uses it as its ``max`` too (one rule for both)."""
    return utcnow().date() + timedelta(days=1)


def _occurred_on(c: _Collector, raw: Mapping, precision: str) -> date | None:
    text = c.text(raw.get("occurred_on"), "occurred_on", limit=32)
    if text is None:
        if "occurred_on" not in c.errors:
            c.error("occurred_on", _("Please give the date, or at least the month, when it happened."))
        return None
    try:
        if _DATE_RE.match(text):
            value = date.fromisoformat(text)
        elif precision == "month" and _MONTH_RE.match(text):
            value = date.fromisoformat(text + "-01")
        else:
            raise ValueError(text)
    except ValueError:
        if precision == "month":
            c.error("occurred_on", _("Please give the date as year-month-day or year-month (for example 2026-03)."))
        else:
            c.error("occurred_on", _("Please give the date as year-month-day (for example 2026-03-14)."))
        return None
    if precision == "month":
        value = value.replace(day=1)
    if value > latest_occurred_on():
        c.error("occurred_on", _("This date is in the future."))
        return None
    if value < EARLIEST_DATE:
        c.error("occurred_on", _("This date is too long ago: please check the year."))
        return None
    return value


def _region(c: _Collector, value, missing: str | None = None) -> Region | None:
    """The region for ``value``; ``missing`` is the error when none was chosen."""
    code = c.code(value, "region")
    if code is None:
        if "region" not in c.errors:
            c.error("region", missing or _("Please choose where it happened."))
        return None
    region = db.session.scalar(sa.select(Region).where(Region.pcode == code))
    if region is None:
        c.error("region", _("Unknown place. Please choose it from the list."))
        return None
    if region.level < 1:
        c.error("region", _("Please choose a province or district, not the whole country."))
        return None
    return region


def _who(c: _Collector, raw: Mapping, data: dict) -> None:
    force_code = c.code(raw.get("force"), "force")
    unit_code = c.code(raw.get("unit"), "unit")
    op_code = c.code(raw.get("operation"), "operation")
    force = None
    if force_code is not None:
        force = db.session.scalar(sa.select(Force).where(Force.code == force_code))
        if force is None:
            c.error("force", _("Unknown force. Please choose it from the list."))
    if unit_code is not None:
        if force is not None:
            unit = db.session.scalar(sa.select(Unit).where(Unit.force_id == force.id, Unit.code == unit_code))
            if unit is None:
                exists = db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.code == unit_code))
                if exists:
                    c.error("unit", _("This unit does not belong to the force you chose."))
                else:
                    c.error("unit", _("Unknown unit. Please choose it from the list or describe it in words."))
        elif force_code is None:
            units = db.session.scalars(sa.select(Unit).where(Unit.code == unit_code).order_by(Unit.id)).all()
            if len(units) == 1:
                unit = units[0]
                force = unit.force
            elif units:
                unit = None
                c.error("unit", _("Please choose the force this unit belongs to."))
            else:
                unit = None
                c.error("unit", _("Unknown unit. Please choose it from the list or describe it in words."))
        else:
            unit = None
        if unit is not None:
            data["unit_id"], data["unit_code"] = unit.id, unit.code
    if force is not None:
        data["force_id"], data["force_code"] = force.id, force.code
    if op_code is not None:
        op = db.session.scalar(sa.select(Operation).where(Operation.code == op_code))
        if op is None:
            c.error("operation", _("Unknown operation. Please choose it from the list."))
        else:
            data["operation_id"], data["operation_code"] = op.id, op.code


def validate_report(
    raw: Mapping, *, strict_types: bool, ask_contact_consent: bool | None = None
) -> tuple[ReportData | None, dict[str, str]]:
    """Check a report (DESIGN §3, §10). Returns (data, {}) or (None, errors).

    ``ask_contact_consent``: contact details given without consent to contact
    are an error on ``consent.contact`` (a person typing in the form is asked,
    rather than having what they typed silently thrown away). Defaults to
    ``not strict_types``, i.e. on for the web form; the JSON API keeps its
    documented behaviour of ignoring such details.

    Needs an application context (it reads reference data and config).
    """
    if ask_contact_consent is None:
        ask_contact_consent = not strict_types
    c = _Collector(strict_types)
    if not isinstance(raw, Mapping):
        return None, {"request": _("The report must be a group of fields (a JSON object).")}
    data: dict = {}

    # What happened.
    categories = c.code_list(raw.get("categories"), "categories")
    unknown = [code for code in categories if code not in CATEGORIES]
    if unknown:
        c.error("categories", _("Unknown category: %(codes)s.", codes=", ".join(sorted(unknown))[:200]))
    elif not categories and "categories" not in c.errors:
        c.error("categories", _("Please choose at least one kind of harm."))
    data["categories"] = categories
    data["narrative"] = c.text(raw.get("narrative"), "narrative", limit=MAX_NARRATIVE)

    # When.
    precision = c.code(raw.get("occurred_on_precision"), "occurred_on_precision") or "day"
    if precision not in PRECISIONS:
        c.error("occurred_on_precision", _("Choose an exact day or a month."))
        precision = "day"
    data["occurred_precision"] = precision
    data["occurred_on"] = _occurred_on(c, raw, precision)
    part = c.code(raw.get("part_of_day"), "part_of_day")
    if part is not None and part not in PARTS_OF_DAY:
        c.error("part_of_day", _("Unknown part of the day."))
        part = None
    data["part_of_day"] = part

    # Where.
    region = _region(c, raw.get("region"))
    if region is not None:
        data["region_id"], data["region_pcode"] = region.id, region.pcode
    data["place_description"] = c.text(raw.get("place_description"), "place_description")
    lat = c.number(raw.get("latitude"), "latitude", limit=90)
    lon = c.number(raw.get("longitude"), "longitude", limit=180)
    if (lat is None) != (lon is None) and "latitude" not in c.errors and "longitude" not in c.errors:
        c.error("latitude" if lat is None else "longitude", _("Give both latitude and longitude, or neither."))
        lat = lon = None
    data["latitude"], data["longitude"] = lat, lon

    # Who.
    _who(c, raw, data)
    data["unit_description"] = c.text(raw.get("unit_description"), "unit_description")

    # Harm.
    harm = c.mapping(raw, "harm")
    for key in HARM_NUMBERS:
        data[key] = c.integer(harm.get(key), f"harm.{key}", minimum=0, maximum=MAX_COUNT, default=None)
    data["property_damaged"] = c.boolean(harm.get("property_damaged"), "harm.property_damaged", False)
    victims = c.mapping(raw, "victims")
    data["victims"] = {k: c.boolean(victims.get(k), f"victims.{k}", False) for k in VICTIM_GROUPS}

    # The reporter.
    relationship = c.code(raw.get("relationship"), "relationship")
    if relationship is not None and relationship not in RELATIONSHIPS:
        c.error("relationship", _("Unknown choice. Please choose from the list."))
        relationship = None
    data["relationship"] = relationship
    needs = c.code_list(raw.get("needs"), "needs")
    if any(n not in NEEDS for n in needs):
        c.error("needs", _("Unknown choice. Please choose from the list."))
    data["needs"] = [n for n in needs if n in NEEDS]

    # Consent and contact.
    consent = c.mapping(raw, "consent")
    data["consent_contact"] = c.boolean(consent.get("contact"), "consent.contact", False)
    data["consent_statistics"] = c.boolean(consent.get("statistics"), "consent.statistics", True)
    data["consent_referral"] = c.boolean(consent.get("referral"), "consent.referral", False)
    contact_raw = c.mapping(raw, "contact")
    contact = {k: c.text(contact_raw.get(k), f"contact.{k}") for k in CONTACT_FIELDS}
    if not data["consent_contact"]:
        if ask_contact_consent and any(contact.values()):
            # Typed but not allowed: ask, rather than silently throw them away.
            msg = _("You gave contact details: tick this box so that we may use them, or remove them.")
            c.error("consent.contact", msg)
        # Errors about details we will not keep do not matter.
        for k in CONTACT_FIELDS:
            c.errors.pop(f"contact.{k}", None)
        contact = {}
    contact = {k: v for k, v in contact.items() if v}
    data["contact"] = contact or None

    # Trust pulse.
    pulse_raw = c.mapping(raw, "pulse")
    pulse = {k: c.pulse_answer(pulse_raw.get(k), f"pulse.{k}") for k in PULSE_KEYS}
    data["pulse"] = pulse if any(v is not None for v in pulse.values()) else None

    data["language"] = _language(c, raw.get("language"))
    data["idempotency_key"] = c.text(raw.get("idempotency_key"), "idempotency_key", limit=MAX_IDEMPOTENCY_KEY)

    if c.errors:
        return None, c.errors
    return ReportData(**data), {}


def validate_pulse(raw: Mapping, *, strict_types: bool) -> tuple[PulseData | None, dict[str, str]]:
    """Check a standalone trust pulse: ``region`` (P-code), the five answers
    at the top level (1..5 or null), ``language``. At least one answer."""
    c = _Collector(strict_types)
    if not isinstance(raw, Mapping):
        return None, {"request": _("The answers must be a group of fields (a JSON object).")}
    region = _region(c, raw.get("region"), missing=_("Please choose where you live."))
    answers = {k: c.pulse_answer(raw.get(k), k) for k in PULSE_KEYS}
    if not c.errors and all(v is None for v in answers.values()):
        c.error(PULSE_KEYS[0], _("Please answer at least one question."))
    language = _language(c, raw.get("language"))
    if c.errors:
        return None, c.errors
    return PulseData(region_id=region.id, region_pcode=region.pcode, answers=answers, language=language), {}


def validate_message(raw, *, strict_types: bool, field_name: str = "body") -> tuple[str | None, dict[str, str]]:
    """Check a follow-up message from a reporter: text, 1..20000 characters."""
    c = _Collector(strict_types)
    body = c.text(raw, field_name, limit=MAX_NARRATIVE)
    if body is None and not c.errors:
        c.error(field_name, _("Please write your message."))
    return (None, c.errors) if c.errors else (body, {})
