"""Sign-in and account forms (labels translated lazily)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

#: The password length rule as a form check (shown with the other field errors;
#: tracker.accounts.passwords.check_policy enforces it again in the service).
PASSWORD_LENGTH = Length(min=12, max=1024, message=_l("The password must be at least 12 characters long."))

class LoginForm(FlaskForm):
    email = StringField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class TotpForm(FlaskForm):
    code = StringField(
        # Translators: the 6-digit code shown by an authenticator app.
        _l("6-digit code from your authenticator app"),
        validators=[
            DataRequired(_l("Enter the 6-digit code.")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 7, "dir": "ltr"},
    )
    submit = SubmitField(_l("Confirm"))


class ConfirmForm(FlaskForm):
    """A button and a CSRF token (sign out, revoke, disable…)."""

    submit = SubmitField(_l("Confirm"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password.")), PASSWORD_LENGTH],
        description=_l("At least 12 characters. A few unrelated words make a strong password."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Type the new password again.")), EqualTo("new_password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(_l("Give the token a name, so you recognise it later.")), Length(max=80)],
        description=_l("For example: the name of the script or computer that will use it."),
    )
    submit = SubmitField(_l("Create token"))
