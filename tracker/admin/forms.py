"""Admin forms. Choices are filled by the views from the database."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from config import Config
from tracker.accounts.forms import PASSWORD_LENGTH
from tracker.accounts.passwords import PasswordPolicyError, check_policy
from tracker.accounts.services import find_user
from tracker.admin.settings import DEADLINE_MAX_HOURS, DEADLINE_MIN_HOURS, K_MAX, K_MIN
from tracker.intake.models import SEVERITY_ORDER

CODE_HINT = _l("Short identifier: letters, digits, dots, dashes or underscores.")


#: The languages a name can be given in: every shipped language (config).
NAME_LANGUAGES = tuple(Config.LANGUAGES)


def _name_field(code: str) -> StringField:
    validators = [Optional(), Length(max=200)]
    if code == "en":
        validators = [DataRequired(_l("Enter at least the English name.")), Length(max=200)]
    render_kw = {"lang": code.replace("_", "-")}
    if code in Config.RTL_LANGUAGES:
        render_kw["dir"] = "rtl"
    return StringField(_l("Name (%(language)s)", language=Config.LANGUAGES[code]), validators=validators,
                       render_kw=render_kw)


class NamesMixin:
    """One name field per shipped language (``name_<code>``, added below),
    English required."""

    def names(self) -> dict:
        return {lang: getattr(self, f"name_{lang}").data for lang in NAME_LANGUAGES}

    def name_fields(self) -> list:
        return [getattr(self, f"name_{lang}") for lang in NAME_LANGUAGES]


for _code in NAME_LANGUAGES:
    setattr(NamesMixin, f"name_{_code}", _name_field(_code))


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter an email address.")), Length(max=254)])
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    organisation = SelectField(_l("Civil-society organisation (partners)"), validators=[Optional()])
    body = SelectField(_l("Oversight body (officers and supervisors)"), validators=[Optional()])
    force = SelectField(_l("Force (commanders)"), validators=[Optional()])
    units = SelectMultipleField(_l("Units (commanders, optional)"), validators=[Optional()], coerce=int,
                                description=_l("Leave empty for the whole force."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Enter a password.")), PASSWORD_LENGTH],
                             description=_l("At least 12 characters. Give it to the person in a safe way; they can change it."),
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create account"))

    # The service checks these again; here they run with the field checks so
    # that every problem of the form is shown in one round.
    def validate_email(self, field) -> None:
        if find_user(field.data or "") is not None:
            raise ValidationError(_l("An account with this email already exists."))

    def validate_password(self, field) -> None:
        try:
            check_policy(field.data or "")
        except PasswordPolicyError as exc:
            raise ValidationError(exc.args[0]) from exc


class UserEditForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    organisation = SelectField(_l("Civil-society organisation (partners)"), validators=[Optional()])
    body = SelectField(_l("Oversight body (officers and supervisors)"), validators=[Optional()])
    force = SelectField(_l("Force (commanders)"), validators=[Optional()])
    units = SelectMultipleField(_l("Units (commanders, optional)"), validators=[Optional()], coerce=int,
                                description=_l("Leave empty for the whole force."))
    submit = SubmitField(_l("Save changes"))


class OrganisationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32)], description=CODE_HINT)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the organisation's name.")), Length(max=200)])
    submit = SubmitField(_l("Add organisation"))


class ForceForm(NamesMixin, FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32)], description=CODE_HINT)
    kind = SelectField(_l("Kind"), validators=[DataRequired(_l("Choose a kind of force."))])
    submit = SubmitField(_l("Add force"))


class UnitForm(NamesMixin, FlaskForm):
    force = SelectField(_l("Force"), coerce=int, validators=[DataRequired(_l("Choose the force this unit belongs to."))])
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32)], description=CODE_HINT)
    submit = SubmitField(_l("Add unit"))


class OperationForm(NamesMixin, FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32)], description=CODE_HINT)
    force = SelectField(_l("Force"), validators=[Optional()])
    region = SelectField(_l("Area"), validators=[Optional()])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    submit = SubmitField(_l("Add operation"))


class BodyForm(NamesMixin, FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32)], description=CODE_HINT)
    email = EmailField(_l("Notification email"), validators=[Optional(), Length(max=254)])
    submit = SubmitField(_l("Add oversight body"))


class RoutingRuleForm(FlaskForm):
    force = SelectField(_l("Force"), validators=[Optional()], description=_l("Empty: any force."))
    region = SelectField(_l("Region"), validators=[Optional()], description=_l("Empty: any region. The most specific rule wins."))
    body = SelectField(_l("Oversight body"), validators=[DataRequired(_l("Choose the oversight body."))])
    submit = SubmitField(_l("Add routing rule"))


class RegionForm(NamesMixin, FlaskForm):
    pcode = StringField(_l("P-code"), validators=[DataRequired(_l("Enter the P-code.")), Length(max=32)],
                        description=_l("The humanitarian identifier of the place, as in the OCHA lists."))
    parent = SelectField(_l("Part of"), validators=[Optional()])
    level = SelectField(_l("Level"), validators=[DataRequired(_l("Choose a level."))])
    kind = SelectField(_l("Kind"), validators=[DataRequired(_l("Choose a kind."))])
    submit = SubmitField(_l("Save region"))


class UnitEditForm(NamesMixin, FlaskForm):
    submit = SubmitField(_l("Save unit"))


class RegionUploadForm(FlaskForm):
    file = FileField(_l("CSV file of regions"), validators=[FileRequired(_l("Choose a CSV file."))],
                     description=_l("Columns: pcode, parent_pcode, level (0 country, 1 province, 2 district), kind (land or "
                                    "maritime), name_en, and name_<language> for the other languages. Commas, semicolons "
                                    "or tabs. Existing P-codes are updated."))
    submit = SubmitField(_l("Upload regions"))


class BoundaryUploadForm(FlaskForm):
    file = FileField(_l("GeoJSON file of boundaries"), validators=[FileRequired(_l("Choose a GeoJSON file."))],
                     description=_l("A FeatureCollection of Polygon or MultiPolygon features, each with a property "
                                    "\"pcode\" naming a province or district already loaded. At most 10 MB. "
                                    "Outlines are simplified before they are stored; uploading a P-code again "
                                    "replaces its outline."))
    submit = SubmitField(_l("Upload boundaries"))


def _deadline_field(label):
    message = _l("Enter a number of hours between 1 and 8760.")  # DEADLINE_MIN_HOURS, DEADLINE_MAX_HOURS
    return IntegerField(label, validators=[DataRequired(message), NumberRange(DEADLINE_MIN_HOURS, DEADLINE_MAX_HOURS, message)])


class SettingsForm(FlaskForm):
    deadline_critical = _deadline_field(_l("Triage deadline for critical cases (hours)"))
    deadline_high = _deadline_field(_l("Triage deadline for high-severity cases (hours)"))
    deadline_medium = _deadline_field(_l("Triage deadline for medium-severity cases (hours)"))
    deadline_low = _deadline_field(_l("Triage deadline for low-severity cases (hours)"))
    k_threshold = IntegerField(
        _l("Smallest count shown in aggregates (K)"),
        validators=[DataRequired(_l("Enter a number between 2 and 1000.")),  # K_MIN, K_MAX
                    NumberRange(K_MIN, K_MAX, _l("Enter a number between 2 and 1000."))],
        description=_l("Counts from 1 to K−1 are shown as “fewer than K”."),
    )
    submit = SubmitField(_l("Save settings"))

    def deadlines(self) -> dict:
        return {sev: getattr(self, f"deadline_{sev}").data for sev in SEVERITY_ORDER}
