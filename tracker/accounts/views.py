"""Sign-in, second factor, sign-out and the account page (thin views:
the rules are in services.py)."""
from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from tracker.accounts import services
from tracker.accounts.auth import PENDING_KEY, bind_session, now_ts, read_pending, reset_session, write_pending
from tracker.accounts.forms import ChangePasswordForm, ConfirmForm, LoginForm, TokenForm, TotpForm
from tracker.accounts.models import ROLES, User
from tracker.accounts.permissions import HOME_PATH, can_manage_own_tokens, roles_required
from tracker.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN", "10 per minute")


def _failure_message() -> str:
    # Same words for an unknown email, a wrong password, a wrong code and a
    # locked account: the page must not tell whether an account exists.
    return _(
        "Sign-in failed: the email, password or code is not right. "
        "After several failed attempts, sign-in is paused for 15 minutes."
    )


def _home_for(user: User) -> str:
    """The landing page of the role (DESIGN §10 paths)."""
    return HOME_PATH.get(user.role, "/")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _start_session(user: User, remember_next: str | None = None):
    """Open the staff session: a fresh session (no fixation), language kept."""
    nxt = _safe_next(remember_next)
    reset_session()
    login_user(user)
    bind_session()
    session.permanent = True
    session["seen"] = int(now_ts())
    return redirect(nxt or _home_for(user))


def _set_pending(user: User, step: str, nxt: str | None) -> None:
    reset_session()
    write_pending({"uid": user.id, "v": user.session_version, "step": step, "at": int(now_ts()), "next": _safe_next(nxt)})


def _pending_next() -> str | None:
    return (read_pending() or {}).get("next")


def _pending_user(step: str) -> User | None:
    pending = read_pending()
    if not pending or pending.get("step") != step:
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or user.session_version != pending.get("v") or not user.is_active_account:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data)
        nxt = request.args.get("next")
        if result.status == "ok":
            db.session.commit()
            return _start_session(result.user, nxt)
        if result.status == "totp_required":
            db.session.commit()
            _set_pending(result.user, "totp", nxt)
            return redirect(url_for("accounts.totp"))
        if result.status == "enrol_required":
            db.session.commit()
            _set_pending(result.user, "enrol", nxt)
            flash(_("Your role needs two-step sign-in. Set it up now to continue."), "info")
            return redirect(url_for("accounts.enrol_totp"))
        db.session.commit()  # the failure and its audit event
        error = _failure_message()
    elif request.method == "POST" and not form.errors:
        error = _failure_message()
    form.password.data = ""
    return render_template("accounts/login.html", form=form, error=error), (200 if error is None else 200)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def totp():
    user = _pending_user("totp")
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = TotpForm()
    error = None
    if form.validate_on_submit():
        result = services.verify_second_factor(user, form.code.data)
        db.session.commit()
        if result.ok:
            return _start_session(user, _pending_next())
        if result.status == "locked":
            session.pop(PENDING_KEY, None)
            flash(_failure_message(), "error")
            return redirect(url_for("accounts.login"))
        error = _failure_message()
    return render_template("accounts/totp.html", form=form, error=error)


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
            if result.status == "locked":
                session.pop(PENDING_KEY, None)
                flash(_failure_message(), "error")
                return redirect(url_for("accounts.login"))
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
    elif token_form.submit.data and can_manage_own_tokens(current_user):
        if token_form.validate_on_submit():
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
