"""The report form in short steps (DESIGN §3, issue 9).

One HTML page carries every field: the steps the reporter is not on are
rendered with the ``hidden`` attribute, so without JavaScript each step is a
POST that carries the earlier (and later) answers as form fields and nothing
is stored on the server before the final send; with JavaScript report.js
switches the steps in the page. The final send is the same POST either way.

Navigation is the ``nav`` button of the POST:

- ``next``: check only the fields of the current step, then show the next;
- ``back``: show the previous step, checking nothing;
- ``goto-N``: show step N (from the review page or the error summary);
- ``send`` or no ``nav`` at all (API-like clients, older pages, a queued
  report sent again): check everything and file the report.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from tracker.intake.forms import field_for_path
from tracker.intake.schema import HARM_NUMBERS, PULSE_KEYS

VICTIM_FIELDS = ("victims_children", "victims_women", "victims_elderly", "victims_disability")


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: object  # lazy string
    fields: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step(1, "what", _l("What happened"), ("categories", "narrative")),
    Step(2, "when", _l("When"), ("occurred_on", "occurred_on_precision", "part_of_day")),
    Step(3, "where", _l("Where"), ("region", "place_description", "latitude", "longitude")),
    Step(
        4,
        "who",
        _l("Who did it, and the harm"),
        ("force", "unit", "unit_description", "operation", *("harm_" + k for k in HARM_NUMBERS),
         "property_damaged", *VICTIM_FIELDS),
    ),
    Step(
        5,
        "you",
        _l("About you"),
        ("relationship", "needs", "consent_statistics", "consent_referral", "consent_contact", "contact_name",
         "contact_phone", "contact_safe_times", *(f"pulse_{k}" for k in PULSE_KEYS)),
    ),
    Step(6, "review", _l("Check and send"), ("photos",)),
)
LAST = len(STEPS)
YES = _l("Yes")
REVIEW = LAST

_STEP_OF_FIELD = {name: step.number for step in STEPS for name in step.fields}


def step_of(field_name: str) -> int:
    """The step on which a form field is asked (errors without a field: the review)."""
    return _STEP_OF_FIELD.get(field_name, REVIEW)


def parse_nav(value: str | None, current: int) -> tuple[str, int]:
    """``(action, target step)`` from the ``nav`` button; anything unknown is a send."""
    current = current if 1 <= current <= LAST else 1
    if value == "next":
        return "next", min(current + 1, LAST)
    if value == "back":
        return "back", max(current - 1, 1)
    if value and value.startswith("goto-") and value[5:].isdigit():
        target = int(value[5:])
        if 1 <= target <= LAST:
            return "goto", target
    return "send", LAST


def parse_step(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= LAST else 1


def errors_for_step(problems: dict[str, str], number: int) -> dict[str, str]:
    """The schema's errors (keyed by API path) that belong to one step."""
    return {path: msg for path, msg in problems.items() if step_of(field_for_path(path)) == number}


def first_error_step(errors: dict[str, str]) -> int:
    """The earliest step with an error (``errors`` keyed by form field name)."""
    return min((step_of(name) for name in errors if name != "_form"), default=REVIEW)


def _choice_labels(field) -> str:
    chosen = field.data if isinstance(field.data, list) else [field.data]
    labels = [str(sub.label.text) for sub in field if sub.data in chosen and sub.data not in ("", None)]
    return ", ".join(labels)


def _grouped_label(field) -> str:
    for options in field.groups.values():
        for value, label in options:
            if value == field.data and value:
                return str(label)
    return ""


def display_value(form, name: str) -> str:
    """What the reporter answered for one field, as text for the review page."""
    field = getattr(form, name)
    kind = field.type
    if kind in ("MultiCheckboxField", "LooseRadioField"):
        return _choice_labels(field)
    if kind == "LooseSelectField" and getattr(field, "groups", None):
        return _grouped_label(field)
    if kind == "LooseSelectField":
        # A grouped list with nothing in it (the database away and no list
        # loaded yet by this worker, the field left blank) has no choices.
        return next((str(c.label) for c in field.choices or () if c.value == field.data and c.value), "")
    if kind == "BooleanField":
        return str(YES) if field.data else ""
    if kind in ("MultipleFileField", "HiddenField"):
        return ""
    return (field.data or "").strip() if isinstance(field.data, str) else ""


def review_rows(form) -> list[tuple[Step, list[tuple[str, str]]]]:
    """For the review page: each step with its answered fields as (label, value)."""
    out = []
    for step in STEPS[:-1]:
        rows = []
        for name in step.fields:
            value = display_value(form, name)
            if value and name not in ("latitude", "longitude"):
                rows.append((str(getattr(form, name).label.text), value))
        out.append((step, rows))
    return out
