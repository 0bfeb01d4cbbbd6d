"""The report, follow-up and pulse forms.

Flask-WTF renders the fields and keeps what was typed; CSRF is checked for
every POST by the global CSRFProtect. The rules are NOT here: the form is
turned into the API's field names (``to_raw``) and checked by
tracker.intake.schema.validate_report (strict_types=False), whose errors,
keyed by API path, are put back next to the form fields (``attach_errors``).
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.core.db import database_unavailable, safe_rollback
from tracker.core.i18n import localized
from tracker.extensions import db
from tracker.intake.models import NEEDS, PARTS_OF_DAY, PRECISIONS, PULSE_QUESTIONS, PULSE_SCALE, RELATIONSHIPS, VICTIM_GROUPS
from tracker.intake.schema import HARM_NUMBERS, PULSE_KEYS, latest_occurred_on
from tracker.reference.models import CATEGORIES, Force, Operation, Region

UNIT_SEPARATOR = ":"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the schema checks the codes
        pass


class LooseSelectField(SelectField):
    """A select whose value is checked by the schema, not by WTForms.
    Grouped selects (region, unit) keep their options in ``groups``
    ({optgroup label: [(value, label)]}) and are rendered by the template."""

    groups: dict = {}

    def pre_validate(self, form):
        pass


class LooseRadioField(RadioField):
    def pre_validate(self, form):
        pass


def region_choices(lang: str | None = None) -> dict:
    """Regions for a <select> without JS: one <optgroup> per province, with
    the province itself first ("somewhere in …") then its districts. The
    empty "choose" option is added by the template."""
    provinces = db.session.scalars(sa.select(Region).where(Region.level == 1).order_by(Region.pcode)).all()
    choices: dict = {}
    for province in provinces:
        name = localized(province.names, lang)
        options = [(province.pcode, _l("%(province)s: not sure where exactly", province=name))]
        options += [(d.pcode, localized(d.names, lang)) for d in province.children]
        choices[name] = options
    return choices


def force_choices(lang: str | None = None) -> list:
    forces = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    # "unknown" last: people scan for the force they saw first.
    forces.sort(key=lambda f: (f.kind == "unknown", f.code))
    return _options([("", _l("Don't know / prefer not to say"))] + [(f.code, localized(f.names, lang)) for f in forces])


def unit_choices(lang: str | None = None) -> dict:
    """Every unit, grouped by force (works without JS; report.js narrows the
    list to the chosen force). Values are ``FORCE:UNIT``."""
    choices: dict = {}
    for force in db.session.scalars(sa.select(Force).order_by(Force.code)):
        if force.units:
            choices[localized(force.names, lang)] = [
                (f"{force.code}{UNIT_SEPARATOR}{u.code}", localized(u.names, lang)) for u in force.units
            ]
    return choices


def operation_choices(lang: str | None = None) -> list:
    ops = db.session.scalars(sa.select(Operation).order_by(Operation.code)).all()
    return _options([("", _l("Don't know / none"))] + [(o.code, localized(o.names, lang)) for o in ops])


# The reference choices last loaded, per language, so that a submitted report
# form can be shown again with what was typed while the database is away.
_LAST_CHOICES: dict = {}


def reference_choices(lang: str | None, submitted: bool) -> tuple | None:
    """(regions, forces, units, operations) for the report form. When the
    database cannot answer and a form was submitted, the last choices loaded
    by this process (or None: then only what was typed is offered); a form
    asked for afresh fails as any page does (503)."""
    try:
        choices = (region_choices(lang), force_choices(lang), unit_choices(lang), operation_choices(lang))
    except sa.exc.SQLAlchemyError as exc:
        if not (submitted and database_unavailable(exc)):
            raise
        safe_rollback(db.session)
        return _LAST_CHOICES.get(lang)
    _LAST_CHOICES[lang] = choices
    return choices


def _options(pairs) -> list[SelectChoice]:
    """(value, label) pairs → SelectChoice (WTForms 3.3 deprecates tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _pulse_choices() -> list:
    return _options([(str(k), label) for k, label in PULSE_SCALE.items()] + [("", _l("Prefer not to say"))])


class _PulseMixin:
    @classmethod
    def add_pulse_fields(cls) -> None:
        for key in PULSE_KEYS:
            setattr(cls, f"pulse_{key}", LooseRadioField(PULSE_QUESTIONS[key], choices=_pulse_choices(), default=""))

    def pulse_fields(self):
        return [getattr(self, f"pulse_{k}") for k in PULSE_KEYS]


class ReportForm(_PulseMixin, FlaskForm):
    # What happened
    categories = MultiCheckboxField(_l("What happened? Tick everything that applies."), choices=_options(CATEGORIES.items()))
    narrative = TextAreaField(_l("Tell us what happened, in your own words (optional)"))
    # When
    # Translators: the date on which the harm happened (a form label).
    occurred_on = StringField(_l("Date"), render_kw={"type": "date"})
    occurred_on_precision = LooseRadioField(_l("How sure are you of the date?"), choices=_options(PRECISIONS.items()), default="day")
    part_of_day = LooseRadioField(
        _l("Time of day (optional)"), choices=_options([("", _l("Don't know"))] + list(PARTS_OF_DAY.items())), default=""
    )
    # Where
    region = LooseSelectField(_l("Province and district"))
    place_description = StringField(_l("Place: village, street or landmark (optional)"))
    latitude = StringField(_l("Latitude"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    longitude = StringField(_l("Longitude"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    # Who
    force = LooseSelectField(_l("Which force?"))
    unit = LooseSelectField(_l("Which unit, if you know?"))
    unit_description = StringField(_l("Or describe them: uniforms, badges, vehicles (optional)"))
    operation = LooseSelectField(_l("Was it part of a named operation? (optional)"))
    # Harm
    harm_killed = StringField(_l("People killed"))
    harm_injured = StringField(_l("People injured"))
    harm_detained = StringField(_l("People detained or taken away"))
    harm_missing = StringField(_l("People still missing"))
    harm_displaced_households = StringField(_l("Households forced to leave their homes"))
    property_damaged = BooleanField(_l("Homes or property were damaged or taken"))
    victims_children = BooleanField(VICTIM_GROUPS["children"])
    victims_women = BooleanField(VICTIM_GROUPS["women"])
    victims_elderly = BooleanField(VICTIM_GROUPS["elderly"])
    victims_disability = BooleanField(VICTIM_GROUPS["disability"])
    # The reporter
    # Translators: asks how the reporter is related to the incident (victim, witness, family …).
    relationship = LooseRadioField(
        _l("Who are you in this?"), choices=_options([("", _l("Prefer not to say"))] + list(RELATIONSHIPS.items())), default=""
    )
    needs = MultiCheckboxField(_l("Do you or others need help? (optional)"), choices=_options(NEEDS.items()))
    # Consent and contact
    consent_contact = BooleanField(_l("You may contact me about this report"))
    consent_statistics = BooleanField(_l("You may count this report in anonymous statistics"), default=True)
    consent_referral = BooleanField(_l("You may pass my needs to a support organisation"))
    contact_name = StringField(_l("Name or nickname"), render_kw={"autocomplete": "off"})
    contact_phone = StringField(_l("Phone number"), render_kw={"type": "tel", "autocomplete": "off"})
    contact_safe_times = StringField(_l("When is it safe to call?"), render_kw={"autocomplete": "off"})
    # Photos
    photos = MultipleFileField(_l("Photos (optional, up to 5)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    idempotency_key = HiddenField()

    def __init__(self, *args, lang: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._lang = lang
        self._choices_loaded = False
        # The picker stops at the same latest day the server accepts.
        self.occurred_on.render_kw = {"type": "date", "max": latest_occurred_on().isoformat()}
        for name in ("harm_" + k for k in HARM_NUMBERS):
            getattr(self, name).render_kw = {"type": "number", "min": "0", "max": "100000", "inputmode": "numeric"}
        if not self.idempotency_key.data:
            self.idempotency_key.data = secrets.token_urlsafe(24)

    def load_choices(self) -> None:
        """Fill the region, force, unit and operation lists, once, before the
        form is shown. Only a form that is shown needs them: a report sent
        and filed is redirected to its receipt without reading them."""
        if self._choices_loaded:
            return
        self._choices_loaded = True
        choices = reference_choices(self._lang, submitted=self.is_submitted())
        if choices is not None:
            self.region.groups, self.force.choices, self.unit.groups, self.operation.choices = choices
        else:  # database away, nothing cached: offer back exactly what was typed
            self.region.groups = {"": [(self.region.data, self.region.data)]} if self.region.data else {}
            self.unit.groups = {"": [(self.unit.data, self.unit.data)]} if self.unit.data else {}
            for select in (self.force, self.operation):
                select.choices = _options([("", "")] + ([(select.data, select.data)] if select.data else []))

    def harm_fields(self):
        return [getattr(self, "harm_" + k) for k in HARM_NUMBERS]

    def victim_fields(self):
        return [getattr(self, "victims_" + k) for k in VICTIM_GROUPS]

    def to_raw(self, language: str) -> dict:
        """The form as an API-shaped dict for validate_report (strings as typed)."""
        force = self.force.data or None
        unit = self.unit.data or None
        if unit and UNIT_SEPARATOR in unit:
            unit_force, unit = unit.split(UNIT_SEPARATOR, 1)
            force = force or unit_force
        return {
            "categories": list(self.categories.data or []),
            "narrative": self.narrative.data,
            "occurred_on": self.occurred_on.data,
            "occurred_on_precision": self.occurred_on_precision.data or "day",
            "part_of_day": self.part_of_day.data or None,
            "region": self.region.data,
            "place_description": self.place_description.data,
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
            "force": force,
            "unit": unit,
            "unit_description": self.unit_description.data,
            "operation": self.operation.data or None,
            "harm": {
                **{k: getattr(self, "harm_" + k).data for k in HARM_NUMBERS},
                "property_damaged": bool(self.property_damaged.data),
            },
            "victims": {k: bool(getattr(self, "victims_" + k).data) for k in VICTIM_GROUPS},
            "relationship": self.relationship.data or None,
            "needs": list(self.needs.data or []),
            "consent": {
                "contact": bool(self.consent_contact.data),
                "statistics": bool(self.consent_statistics.data),
                "referral": bool(self.consent_referral.data),
            },
            "contact": {
                "name": self.contact_name.data,
                "phone": self.contact_phone.data,
                "safe_times": self.contact_safe_times.data,
            },
            "pulse": {k: getattr(self, f"pulse_{k}").data or None for k in PULSE_KEYS},
            "language": language,
            "idempotency_key": self.idempotency_key.data,
        }


ReportForm.add_pulse_fields()

# API error path → form field name (most are the same).
_PATH_TO_FIELD = {
    "harm.property_damaged": "property_damaged",
}


def field_for_path(path: str) -> str:
    """``harm.killed`` → ``harm_killed``; ``contact.phone`` → ``contact_phone``."""
    return _PATH_TO_FIELD.get(path, path.replace(".", "_"))


class FieldErrors(dict):
    """Field name → message, plus ``labels`` (field name → its label) so that
    every line of the error summary says which question it is about
    ("People killed: This must be a whole number.")."""

    def __init__(self, messages: dict[str, str] | None = None, labels: dict[str, str] | None = None):
        super().__init__(messages or {})
        self.labels = labels or {}


def labelled(form: FlaskForm, errors: dict[str, str]) -> FieldErrors:
    """``errors`` keyed by field name, with the labels of those fields."""
    labels = {name: str(form._fields[name].label.text) for name in errors if name in form._fields}
    return FieldErrors(errors, labels)


def attach_errors(form: FlaskForm, errors: dict[str, str]) -> FieldErrors:
    """Field-name → message for the template; messages for paths without a
    field (e.g. ``language``) go under ``"_form"``."""
    out: dict[str, str] = {}
    for path, message in errors.items():
        name = field_for_path(path)
        if name in form._fields:
            out.setdefault(name, message)
        else:
            out["_form"] = message if "_form" not in out else out["_form"] + " " + message
    return labelled(form, out)


class FollowupForm(FlaskForm):
    receipt = StringField(
        _l("Your receipt code (16 digits)"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false",
                   "dir": "ltr"},
    )


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Add information or answer a question"))


class FollowupPhotoForm(FlaskForm):
    """Photos added at /followup: the same checks and cleaning as the report's."""

    photos = MultipleFileField(_l("Add photos"), render_kw={"accept": "image/jpeg,image/png,image/webp"})


class PulseForm(_PulseMixin, FlaskForm):
    region = LooseSelectField(_l("Where do you live?"))

    def __init__(self, *args, lang: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region.groups = region_choices(lang)

    def to_raw(self, language: str) -> dict:
        raw = {"region": self.region.data, "language": language}
        raw.update({k: getattr(self, f"pulse_{k}").data or None for k in PULSE_KEYS})
        return raw


PulseForm.add_pulse_fields()
