"""The request bodies of intake, defined once: the HTML form, the JSON API,
the OpenRosa/Kobo and SMS channels check with them, and the OpenAPI document
(tracker/api/openapi.py) is generated from them.

Each body is a marshmallow schema of the field types of tracker.core.fields,
which carry both the check and its JSON Schema. What a single field cannot
say (a date read with its precision, both coordinates or neither, a unit of
its force, places and codes that exist in the reference data, contact details
kept only with consent) is checked by the functions below, which turn raw
input (API field names of DESIGN §10) into a :class:`ReportData` of clean
values, or into a dict of errors keyed by dotted field path (``"harm.killed"``,
``"region"``) whose values are messages translated at call time.

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

The functions never raise, whatever the shape of their input.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from tracker.core.db import utcnow
from tracker.core.fields import Answer, Body, Code, CodeList, Count, Flag, Group, Number, Text, load
from tracker.extensions import db
from tracker.intake.models import NEEDS, PARTS_OF_DAY, PRECISIONS, PULSE_QUESTIONS, RELATIONSHIPS, VICTIM_GROUPS
from tracker.intake.receipts import normalise_receipt
from tracker.reference.models import CATEGORIES, Force, Operation, Region, Unit

MAX_NARRATIVE = 20000
MAX_TEXT = 500
MAX_COUNT = 100_000
MAX_IDEMPOTENCY_KEY = 200
EARLIEST_DATE = date(1990, 1, 1)

HARM_NUMBERS = ("killed", "injured", "detained", "missing", "displaced_households")
CONTACT_FIELDS = ("name", "phone", "safe_times")
PULSE_KEYS = tuple(PULSE_QUESTIONS)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
_UNKNOWN_CHOICE = _l("Unknown choice. Please choose from the list.")


# ---------------------------------------------------------------- the bodies

def _languages():
    return current_app.config["LANGUAGES"]


def _default_language() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def _language() -> Code:
    return Code(_languages, unknown=_l("Unknown language."), default=_default_language,
                description="Language of the reporter: messages and labels come back in it.")


def _answer(key: str) -> Answer:
    return Answer(description=lambda: f"“{PULSE_QUESTIONS[key]}” 1 = strongly disagree … 5 = strongly agree; "
                                      "null = prefer not to say.")


HarmBody = Body.from_dict(
    {**{key: Count(0, MAX_COUNT, description=f"People {key}.") for key in HARM_NUMBERS[:4]},
     "displaced_households": Count(0, MAX_COUNT, description="Households displaced."),
     "property_damaged": Flag(default=False, description="Property damaged.")},
    name="HarmBody")
VictimsBody = Body.from_dict(
    {key: Flag(default=False, description=lambda key=key: f"Victims included: {VICTIM_GROUPS[key]}.")
     for key in VICTIM_GROUPS}, name="VictimsBody")
ConsentBody = Body.from_dict({
    "contact": Flag(default=False, description="May we contact you (default false)."),
    "statistics": Flag(default=True, description="May we count this report in anonymous statistics (default true)."),
    "referral": Flag(default=False, description="May we refer you to a support organisation (default false)."),
}, name="ConsentBody")
ContactBody = Body.from_dict({
    "name": Text(MAX_TEXT, description="Name."),
    "phone": Text(MAX_TEXT, description="Phone number."),
    "safe_times": Text(MAX_TEXT, description="When it is safe to call."),
}, name="ContactBody")
PulseAnswersBody = Body.from_dict({key: _answer(key) for key in PULSE_KEYS}, name="PulseAnswersBody")


class ReportBody(Body):
    class Meta(Body.Meta):
        description = ("A report (DESIGN §3). Values must have their JSON type (no numbers in strings). Unknown "
                       "properties are ignored. Text is trimmed; empty text counts as not given.")

    categories = CodeList(
        CATEGORIES, min_items=1, required=_l("Please choose at least one kind of harm."),
        unknown=lambda codes: _("Unknown category: %(codes)s.", codes=", ".join(sorted(codes))[:200]),
        description="What happened: one or more harm category codes (empty strings are ignored; at least one "
                    "code is needed).")
    # Read with its precision in validate_report(); the pattern documents both forms.
    occurred_on = Text(32, required=_l("Please give the date, or at least the month, when it happened."),
                       doc={"pattern": r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"},
                       description="YYYY-MM-DD (YYYY-MM accepted with precision month). Not in the future "
                                   "(one day of grace for time zones), not before 1990.")
    occurred_on_precision = Code(PRECISIONS, unknown=_l("Choose an exact day or a month."), default="day",
                                 description="day (default) or month.")
    part_of_day = Code(PARTS_OF_DAY, unknown=_l("Unknown part of the day."))
    region = Code(required=_l("Please choose where it happened."),
                  description="P-code of a province, district or maritime zone (not the country).")
    place_description = Text(MAX_TEXT, description="Where exactly, in words.")
    latitude = Number(90, description="Rounded to 2 decimals by the server. Give both or neither.")
    longitude = Number(180, description="Rounded to 2 decimals by the server.")
    force = Code(description="Force code.")
    unit = Code(description="Unit code; must belong to the force.")
    unit_description = Text(MAX_TEXT, description="Insignia, vehicles, uniforms, in words.")
    operation = Code(description="Operation code.")
    narrative = Text(MAX_NARRATIVE, description="What happened, in the reporter's words. Encrypted at rest.")
    harm = Group(HarmBody)
    victims = Group(VictimsBody)
    relationship = Code(RELATIONSHIPS, unknown=_UNKNOWN_CHOICE, description="The reporter's relationship to the incident.")
    needs = CodeList(NEEDS, unknown=lambda codes: str(_UNKNOWN_CHOICE),
                     description="Support needed (for referral); empty strings are ignored.")
    consent = Group(ConsentBody)
    contact = Group(ContactBody, checked_if=("consent", "contact"),
                    description="Kept (encrypted) only when consent.contact is true; otherwise ignored, whatever "
                                "its fields hold.")
    pulse = Group(PulseAnswersBody, description="Trust pulse (DESIGN §7), optional.")
    language = _language()
    idempotency_key = Text(MAX_IDEMPOTENCY_KEY, description="Any unique string per report. Resending the same key "
                                                            "returns the first receipt and files nothing new.")


PulseBody = Body.from_dict({
    "region": Code(required=_l("Please choose where you live."), description="P-code of a province or district."),
    **{key: _answer(key) for key in PULSE_KEYS},
    "language": _language(),
}, name="PulseBody")
PulseBody.Meta.description = "A standalone trust pulse. At least one of the five answers must be given."


class Receipt(Text):
    """A receipt code as typed: its 16 ASCII digits."""

    def __init__(self, **kwargs):
        super().__init__(100, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        digits = normalise_receipt(value)
        if digits is None:
            raise ValidationError(_("A receipt code has 16 digits, for example 1234 5678 9012 3456."))
        return digits


def _receipt() -> Receipt:
    return Receipt(required=_l("Please enter your receipt code."),
                   description="16 digits; spaces, dashes and any script's digits are accepted.")


class FollowupBody(Body):
    receipt = _receipt()
    language = _language()


class MessageBody(Body):
    receipt = _receipt()
    body = Text(MAX_NARRATIVE, required=_l("Please write your message."),
                doc={"minLength": 1, "pattern": r"[^\s\x00]"},  # blank is not a message
                description="More information for the officer. Encrypted at rest.")
    language = _language()


# The API's request bodies, by the name of their schema in the OpenAPI document.
BODIES = {"ReportSubmission": ReportBody, "FollowupRequest": FollowupBody, "MessageRequest": MessageBody,
          "PulseRequest": PulseBody}
_REPORT, _PULSE, _FOLLOWUP, _MESSAGE = ReportBody(), PulseBody(), FollowupBody(), MessageBody()
_MESSAGE_TEXT = Body.from_dict({"body": MessageBody._declared_fields["body"]}, name="MessageText")()


# ----------------------------------------------------------- clean results

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


# ------------------------------------------------- rules across the fields

def latest_occurred_on() -> date:
    """The latest date an incident may have happened on: today, in the time
    zone furthest ahead of UTC, i.e. one day after today's UTC date. The form's
    date picker uses it as its ``max`` too (one rule for both)."""
    return utcnow().date() + timedelta(days=1)


def _occurred_on(text: str, precision: str, errors: dict[str, str]) -> date | None:
    try:
        if _DATE_RE.match(text):
            value = date.fromisoformat(text)
        elif precision == "month" and _MONTH_RE.match(text):
            value = date.fromisoformat(text + "-01")
        else:
            raise ValueError(text)
    except ValueError:
        if precision == "month":
            errors["occurred_on"] = _("Please give the date as year-month-day or year-month (for example 2026-03).")
        else:
            errors["occurred_on"] = _("Please give the date as year-month-day (for example 2026-03-14).")
        return None
    if precision == "month":
        value = value.replace(day=1)
    if value > latest_occurred_on():
        errors["occurred_on"] = _("This date is in the future.")
        return None
    if value < EARLIEST_DATE:
        errors["occurred_on"] = _("This date is too long ago: please check the year.")
        return None
    return value


# One round trip for every code of a report that names reference data: rows
# of (kind, id, extra, code); extra is a region's level, a unit's force id.
_REGION, _FORCE, _UNIT, _OPERATION = 1, 2, 3, 4
_LOOKUP = sa.union_all(
    sa.select(sa.literal_column(str(_REGION)), Region.id, Region.level, Region.pcode)
    .where(Region.pcode == sa.bindparam("region", type_=sa.String)),
    sa.select(sa.literal_column(str(_FORCE)), Force.id, sa.null(), Force.code)
    .where(Force.code == sa.bindparam("force", type_=sa.String)),
    sa.select(sa.literal_column(str(_UNIT)), Unit.id, Unit.force_id, Force.code)
    .join(Force, Force.id == Unit.force_id).where(Unit.code == sa.bindparam("unit", type_=sa.String)),
    sa.select(sa.literal_column(str(_OPERATION)), Operation.id, sa.null(), Operation.code)
    .where(Operation.code == sa.bindparam("operation", type_=sa.String)),
)


def _lookup(region=None, force=None, unit=None, operation=None) -> dict[int, list]:
    found: dict[int, list] = {_REGION: [], _FORCE: [], _UNIT: [], _OPERATION: []}
    if region is force is unit is operation is None:
        return found
    params = {"region": region, "force": force, "unit": unit, "operation": operation}
    for kind, *row in db.session.execute(_LOOKUP, params).all():
        found[kind].append(row)
    found[_UNIT].sort()  # by id: the first unit of a code is the one a code alone means
    return found


def _region(pcode: str | None, found: dict[int, list], errors: dict[str, str]) -> tuple[int, str] | None:
    if pcode is None or "region" in errors:
        return None
    if not found[_REGION]:
        errors["region"] = _("Unknown place. Please choose it from the list.")
        return None
    region_id, level, code = found[_REGION][0]
    if level < 1:
        errors["region"] = _("Please choose a province or district, not the whole country.")
        return None
    return region_id, code


def _who(values: dict, found: dict[int, list], errors: dict[str, str], data: dict) -> None:
    """Force, unit and operation against the reference data."""
    force_code, unit_code = values.get("force"), values.get("unit")
    force = None  # (id, code)
    if force_code is not None:
        if found[_FORCE]:
            force = (found[_FORCE][0][0], force_code)
        else:
            errors.setdefault("force", _("Unknown force. Please choose it from the list."))
    if unit_code is not None:
        units = found[_UNIT]  # [id, force id, force code] of each unit with this code, by id
        unit = None
        if force is not None:
            unit = next((u for u in units if u[1] == force[0]), None)
            if unit is None and units:
                errors.setdefault("unit", _("This unit does not belong to the force you chose."))
        elif force_code is None and len(units) == 1:
            unit = units[0]
            force = (unit[1], unit[2])
        elif force_code is None and units:
            errors.setdefault("unit", _("Please choose the force this unit belongs to."))
        if not units and (force is not None or force_code is None):
            errors.setdefault("unit", _("Unknown unit. Please choose it from the list or describe it in words."))
        if unit is not None:
            data["unit_id"], data["unit_code"] = unit[0], unit_code
    if force is not None:
        data["force_id"], data["force_code"] = force
    if values.get("operation") is not None:
        if found[_OPERATION]:
            data["operation_id"], data["operation_code"] = found[_OPERATION][0][0], values["operation"]
        else:
            errors.setdefault("operation", _("Unknown operation. Please choose it from the list."))


# ------------------------------------------------------------- the checks

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
    if not isinstance(raw, Mapping):
        return None, {"request": _("The report must be a group of fields (a JSON object).")}
    values, errors = load(_REPORT, raw, strict_types=strict_types)
    harm, consent = values.get("harm") or {}, values.get("consent") or {}

    precision = values.get("occurred_on_precision") or "day"
    occurred_on = None
    if "occurred_on" not in errors:
        occurred_on = _occurred_on(values["occurred_on"], precision, errors)

    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None) and "latitude" not in errors and "longitude" not in errors:
        errors["latitude" if lat is None else "longitude"] = _("Give both latitude and longitude, or neither.")

    found = _lookup(values.get("region"), values.get("force"), values.get("unit"), values.get("operation"))
    data: dict = {}
    region = _region(values.get("region"), found, errors)
    _who(values, found, errors, data)

    contact = {}
    if consent.get("contact"):
        contact = {k: v for k, v in (values.get("contact") or {}).items() if v}
    else:
        if ask_contact_consent and any((values.get("contact") or {}).values()):
            # Typed but not allowed: ask, rather than silently throw them away.
            msg = _("You gave contact details: tick this box so that we may use them, or remove them.")
            errors.setdefault("consent.contact", msg)
        # Errors about details we will not keep do not matter.
        for k in CONTACT_FIELDS:
            errors.pop(f"contact.{k}", None)

    if errors:
        return None, errors
    pulse = values["pulse"]
    return ReportData(
        categories=values["categories"], narrative=values["narrative"],
        occurred_on=occurred_on, occurred_precision=precision, part_of_day=values["part_of_day"],
        region_id=region[0], region_pcode=region[1], place_description=values["place_description"],
        latitude=lat, longitude=lon, unit_description=values["unit_description"], **data,
        **{k: harm[k] for k in HARM_NUMBERS}, property_damaged=harm["property_damaged"],
        victims=values["victims"], relationship=values["relationship"], needs=values["needs"],
        consent_contact=consent["contact"], consent_statistics=consent["statistics"],
        consent_referral=consent["referral"], contact=contact or None,
        pulse=pulse if any(v is not None for v in pulse.values()) else None,
        language=values["language"], idempotency_key=values["idempotency_key"],
    ), {}


def validate_pulse(raw: Mapping, *, strict_types: bool) -> tuple[PulseData | None, dict[str, str]]:
    """Check a standalone trust pulse: ``region`` (P-code), the five answers
    at the top level (1..5 or null), ``language``. At least one answer."""
    if not isinstance(raw, Mapping):
        return None, {"request": _("The answers must be a group of fields (a JSON object).")}
    values, errors = load(_PULSE, raw, strict_types=strict_types)
    region = _region(values.get("region"), _lookup(region=values.get("region")), errors)
    answers = {k: values.get(k) for k in PULSE_KEYS}
    if not errors and all(v is None for v in answers.values()):
        errors[PULSE_KEYS[0]] = _("Please answer at least one question.")
    if errors:
        return None, errors
    return PulseData(region_id=region[0], region_pcode=region[1], answers=answers, language=values["language"]), {}


def validate_message(raw, *, strict_types: bool, field_name: str = "body") -> tuple[str | None, dict[str, str]]:
    """Check a follow-up message from a reporter: text, 1..20000 characters."""
    values, errors = load(_MESSAGE_TEXT, {"body": raw}, strict_types=strict_types)
    if errors:
        return None, {field_name: errors["body"]}
    return values["body"], {}


def validate_followup(raw: Mapping, *, message: bool) -> tuple[dict, dict[str, str]]:
    """Check a reporter's JSON look-up (``message``: with a ``body`` to add):
    (values, errors); ``values["receipt"]`` is the 16 digits when they are
    valid, whatever else is wrong."""
    return load(_MESSAGE if message else _FOLLOWUP, raw, strict_types=True)
