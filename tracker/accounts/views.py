"""Sign-in, second factor, sign-out and the account page (thin views:
the rules are in services.py)."""
import unicodedata
from io import BytesIO
from urllib.parse import quote, urlsplit

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from tracker.accounts import services, throttle
from tracker.accounts.auth import bind_session, now_ts, read_pending, reset_session, write_pending
from tracker.accounts.forms import ChangePasswordForm, ConfirmForm, LoginForm, TokenForm, TotpForm
from tracker.accounts.models import ROLES, User
from tracker.accounts.permissions import HOME_PATH, can_manage_own_tokens, roles_required
from tracker.core.ratelimit import client_key
from tracker.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN", "10 per minute")


def _failure_message() -> str:
    # Same words for an unknown email, a wrong password and a wrong code:
    # the page must not tell whether an account exists.
    return _(
        "Sign-in failed: the email, password or code is not right. "
        "After several failed attempts, sign-in also asks for a code."
    )


def _throttled(template: str, wait: int, **context):
    """The answer to an attempt from an address that must wait (429): the
    password was not looked at."""
    error = _("Too many failed sign-in attempts from this connection. Please wait %(seconds)s seconds and try again.",
              seconds=wait)
    resp = make_response(render_template(template, error=error, **context), 429)
    resp.headers["Retry-After"] = str(wait)
    return resp


def _home_for(user: User) -> str:
    """The landing page of the role (DESIGN §10 paths)."""
    return HOME_PATH.get(user.role, "/")


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Browsers drop tabs and newlines inside a URL and read ``\\`` as ``/``,
    so ``/<tab>/evil.example`` leads to ``//evil.example``, another site.
    Refused: any control, format (zero-width) or space character, any
    backslash, anything not starting with exactly one ``/``, and anything
    with a scheme or host. Other non-ASCII characters are percent-encoded."""
    if not target or len(target) > 2000 or "\\" in target:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp") for ch in target):
        return None
    target = quote(target, safe="/?&=%#:@!$'()*+,;~.-_")
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _start_session(user: User, remember_next: str | None = None):
    """Open the staff session: a fresh session (no fixation), language kept."""
    nxt = _safe_next(remember_next)
    reset_session()
    login_user(user)
    bind_session()
    session.permanent = True
    session["seen"] = int(now_ts())
    return redirect(nxt or _home_for(user))


def _set_pending(user: User, step: str, nxt: str | None, *, password_ok: bool = True, mail: str | None = None) -> None:
    """The sign-in in progress, encrypted in the session (auth.write_pending):
    whether the password was right stays unreadable to the browser."""
    reset_session()
    state = {"uid": user.id, "v": user.session_version, "step": step, "at": int(now_ts()),
             "next": _safe_next(nxt), "pw": password_ok}
    if mail:
        state["mail"] = mail
    write_pending(state)


def _pending_next() -> str | None:
    return (read_pending() or {}).get("next")


def _pending_user(*steps: str) -> User | None:
    pending = read_pending()
    if not pending or pending.get("step") not in steps:
        return None
    uid = pending.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or user.session_version != pending.get("v") or not user.is_active_account:
        return None
    return user


def _continue(result: services.AuthResult, nxt: str | None):
    """Where a sign-in goes after a step that did not fail."""
    user = result.user
    if result.status == "ok":
        db.session.commit()
        return _start_session(user, nxt)
    if result.status == "totp_required":
        db.session.commit()
        _set_pending(user, "totp", nxt, password_ok=result.password_ok)
        return redirect(url_for("accounts.totp"))
    if result.status == "mail_required":
        mail = services.start_mail_challenge(user, password_ok=result.password_ok)
        db.session.commit()
        _set_pending(user, "mail", nxt, password_ok=result.password_ok, mail=mail)
        return redirect(url_for("accounts.totp"))
    # enrol_required
    db.session.commit()
    _set_pending(user, "enrol", nxt)
    flash(_("Your role needs two-step sign-in. Set it up now to continue."), "info")
    return redirect(url_for("accounts.enrol_totp"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        address = client_key()
        wait = throttle.wait_seconds(address)
        if wait:
            services.record_throttled(form.email.data)
            db.session.commit()
            form.password.data = ""
            return _throttled("accounts/login.html", wait, form=form)
        result = services.authenticate(form.email.data, form.password.data)
        if not result.failed:
            return _continue(result, request.args.get("next"))
        db.session.commit()  # the failure and its audit event
        throttle.record_failure(address)
        error = _failure_message()
    elif request.method == "POST" and not form.errors:
        error = _failure_message()
    form.password.data = ""
    return render_template("accounts/login.html", form=form, error=error)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def totp():
    """The code step: the authenticator app's code, or (guarded accounts
    without one) the code sent by e-mail. On a guarded account this page
    comes after a wrong password too; only here is the attempt answered."""
    user = _pending_user("totp", "mail")
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    pending = read_pending() or {}
    by_mail = pending.get("step") == "mail"
    form = TotpForm()
    if by_mail:
        form.code.label.text = _("6-digit code from the e-mail")
    error = None
    if form.validate_on_submit():
        address = client_key()
        wait = throttle.wait_seconds(address)
        if wait:
            services.record_throttled(user.email)
            db.session.commit()
            return _throttled("accounts/totp.html", wait, form=form, by_mail=by_mail)
        password_ok = pending.get("pw") is True
        if by_mail:
            result = services.verify_mail_code(user, form.code.data, pending.get("mail"), password_ok=password_ok)
        else:
            result = services.verify_second_factor(user, form.code.data, password_ok=password_ok)
        if not result.failed:
            return _continue(result, pending.get("next"))
        db.session.commit()
        throttle.record_failure(address)
        error = _failure_message()
    return render_template("accounts/totp.html", form=form, error=error, by_mail=by_mail)


def _qr_svg(uri: str) -> Markup:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode("utf-8")
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    return Markup(svg)  # generated by qrcode from our own URI: no user markup inside


@bp.route("/account/two-step", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol_totp():
    """Set up TOTP: during sign-in (roles that require it) or from the
    account page (optional for other roles)."""
    during_login = False
    if current_user.is_authenticated:
        user = current_user
    else:
        user = _pending_user("enrol")
        during_login = True
        if user is None:
            return current_app.login_manager.unauthorized()
    if user.totp_enabled:
        flash(_("Two-step sign-in is already set up."), "info")
        return redirect(url_for("accounts.account"))
    secret = services.begin_totp_enrolment(user)
    db.session.commit()
    form = TotpForm()
    error = None
    if form.validate_on_submit():
        if during_login:
            result = services.complete_enrolment_login(user, form.code.data)
            db.session.commit()
            if result.ok:
                flash(_("Two-step sign-in is set up."), "success")
                return _start_session(user, _pending_next())
        else:
            if services.confirm_totp(user, form.code.data):
                db.session.commit()
                flash(_("Two-step sign-in is set up."), "success")
                return redirect(url_for("accounts.account"))
        error = _("That code is not right. Check the time on your phone and try the newest code.")
    uri = services.totp_uri(user, secret)
    return render_template(
        "accounts/enrol_totp.html", form=form, error=error, secret=secret, uri=uri, qr=_qr_svg(uri), during_login=during_login
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = ConfirmForm()
    if request.method == "POST":
        if form.validate_on_submit():
            if current_user.is_authenticated:
                services.record_logout(current_user)
                db.session.commit()
            logout_user()
            reset_session()
            flash(_("You are signed out."), "success")
            return redirect(url_for("public.home"))
        abort(400)
    if not current_user.is_authenticated:
        return redirect(url_for("public.home"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@roles_required()
def account():
    pw_form = ChangePasswordForm(prefix="pw")
    token_form = TokenForm(prefix="tok")
    new_token = None
    if pw_form.submit.data and pw_form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), pw_form.current_password.data, pw_form.new_password.data)
        except services.AccountError as exc:
            getattr(pw_form, exc.field or "new_password").errors.append(str(exc.message))
        else:
            user = current_user._get_current_object()
            db.session.commit()
            # The session version changed: keep this session, end the others.
            login_user(user)
            flash(_("Your password is changed. Other sessions were signed out."), "success")
            return redirect(url_for("accounts.account"))
    elif token_form.submit.data and can_manage_own_tokens(current_user) and token_form.validate_on_submit():
        try:
            _token, new_token = services.issue_token(current_user, token_form.name.data)
        except services.AccountError as exc:
            token_form.name.errors.append(str(exc.message))
        else:
            db.session.commit()
            token_form = TokenForm(prefix="tok", formdata=None)
    tokens = services.user_tokens(current_user) if can_manage_own_tokens(current_user) else []
    return render_template(
        "accounts/account.html",
        roles=ROLES,
        pw_form=pw_form,
        token_form=token_form,
        tokens=tokens,
        new_token=new_token,
        can_tokens=can_manage_own_tokens(current_user),
        revoke_form=ConfirmForm(prefix="rev"),
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@roles_required()
def revoke_token(token_id: int):
    form = ConfirmForm(prefix="rev")
    if not form.validate_on_submit():
        abort(400)
    if not services.revoke_token(current_user, token_id):
        abort(404)
    db.session.commit()
    flash(_("The token is revoked. Programs using it can no longer sign in."), "success")
    return redirect(url_for("accounts.account"))
