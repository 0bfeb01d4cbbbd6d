"""Admin pages: users and reference data (DESIGN §1: no case content here).

Admins see everything on these pages; supervisors reach only the user pages,
scoped to the officers of their own body. Views are thin: services do the
work, and every change is audited there.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.accounts import services as account_services
from tracker.accounts.forms import ConfirmForm
from tracker.accounts.models import ROLES, Organisation, User
from tracker.accounts.permissions import (
    assignable_roles,
    can_change_role,
    can_disable_user,
    can_edit_user,
    can_manage_all_users,
    can_reset_totp,
    roles_required,
)
from tracker.admin import services
from tracker.admin.forms import (
    NAME_LANGUAGES,
    BodyForm,
    BoundaryUploadForm,
    ForceForm,
    OperationForm,
    OrganisationForm,
    RegionForm,
    RegionUploadForm,
    RoutingRuleForm,
    SettingsForm,
    UnitEditForm,
    UnitForm,
    UserCreateForm,
    UserEditForm,
)
from tracker.admin.settings import k_threshold, triage_deadlines
from tracker.extensions import db
from tracker.intake.models import SEVERITY_ORDER
from tracker.reference.maps import district_map
from tracker.reference.models import (
    FORCE_KINDS,
    Force,
    Operation,
    OversightBody,
    Region,
    RegionBoundary,
    RoutingRule,
    Unit,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

admin_only = roles_required("admin")
user_managers = roles_required("admin", "supervisor")


def _field_error(form, exc, default: str) -> None:
    field = getattr(form, exc.field or default, None) or getattr(form, default)
    field.errors = list(field.errors) + [str(exc.message)]


def _save(form, default_field: str, run, done_message, endpoint: str):
    """Run one admin service. On AdminError: roll back, put the message next
    to its field and return None (the page is shown again with what was
    typed). Otherwise commit, flash ``done_message`` (or ``done_message(result)``)
    and return the redirect to ``endpoint``."""
    try:
        result = run()
    except services.AdminError as exc:
        db.session.rollback()
        _field_error(form, exc, default_field)
        return None
    db.session.commit()
    flash(done_message(result) if callable(done_message) else done_message, "success")
    _warn_missing_names(result)
    return redirect(url_for(endpoint))


def _warn_missing_names(obj) -> None:
    """Say which shipped languages still lack a name (their readers see English)."""
    names = getattr(obj, "names", None)
    if not isinstance(names, dict):
        return
    missing = services.missing_languages(names)
    if missing:
        flash(_("No name yet in: %(languages)s. Readers of these languages see the English name.",
                languages=", ".join(missing)), "warning")


def _blank(label=None):
    return [("", label or _("— none —"))]


def _region_choices():
    rows = db.session.scalars(sa.select(Region).order_by(Region.pcode)).all()
    return _blank(_("— any —")) + [(r.pcode, "\u2003" * r.level + r.name() + " (" + r.pcode + ")") for r in rows]


def _force_choices(blank=None):
    rows = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    return _blank(blank) + [(f.code, f"{f.name()} ({f.code})") for f in rows]


def _body_choices(blank=None):
    rows = db.session.scalars(sa.select(OversightBody).order_by(OversightBody.code)).all()
    return _blank(blank) + [(b.code, f"{b.name()} ({b.code})") for b in rows]


# --------------------------------------------------------------------------- dashboard


@bp.get("/")
@admin_only
def dashboard():
    counts = {
        "users": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        "organisations": db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)),
        "forces": db.session.scalar(sa.select(sa.func.count()).select_from(Force)),
        "units": db.session.scalar(sa.select(sa.func.count()).select_from(Unit)),
        "regions": db.session.scalar(sa.select(sa.func.count()).select_from(Region)),
        "operations": db.session.scalar(sa.select(sa.func.count()).select_from(Operation)),
        "bodies": db.session.scalar(sa.select(sa.func.count()).select_from(OversightBody)),
        "rules": db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)),
    }
    return render_template("admin/dashboard.html", counts=counts)


# --------------------------------------------------------------------------- users


def _fill_user_choices(form, actor) -> None:
    form.role.choices = [(r, str(ROLES[r])) for r in assignable_roles(actor)]
    form.organisation.choices = _blank() + [
        (o.code, o.name) for o in db.session.scalars(sa.select(Organisation).order_by(Organisation.name, Organisation.id))
    ]
    form.body.choices = _body_choices()
    form.force.choices = _force_choices()
    form.units.choices = [
        (u.id, f"{u.force.code} · {u.name()}")
        for u in db.session.scalars(sa.select(Unit).join(Force).order_by(Force.code, Unit.code))
    ]


def _affiliation_args(form, actor) -> dict:
    if not can_manage_all_users(actor):
        # A supervisor creates officers of their own body, nothing else.
        return {"body": actor.body}
    role = form.role.data
    return {
        "organisation": form.organisation.data if role == "partner" else None,
        "body": form.body.data if role in ("officer", "supervisor") else None,
        "force": form.force.data if role == "commander" else None,
        "units": form.units.data if role == "commander" else None,
    }


@bp.get("/users")
@user_managers
def users():
    if can_manage_all_users(current_user):
        rows = account_services.list_users()
    else:
        rows = [u for u in account_services.list_users(body=current_user.body) if u.role == "officer"]
    return render_template("admin/users.html", users=rows, roles=ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
@user_managers
def user_create():
    form = UserCreateForm()
    _fill_user_choices(form, current_user)
    if not can_manage_all_users(current_user):
        # A supervisor creates officers of their own body: whatever was posted
        # for role or organisation is ignored.
        form.role.data = "officer"
        for name in ("organisation", "body", "force", "units"):
            delattr(form, name)
    if form.validate_on_submit():
        try:
            user = account_services.create_user(
                form.email.data, form.role.data, form.password.data,
                actor=current_user._get_current_object(), **_affiliation_args(form, current_user),
            )
        except account_services.AccountError as exc:
            db.session.rollback()
            _field_error(form, exc, "email")
        else:
            db.session.commit()
            if account_services.requires_totp(user.role):
                flash(_("Account created. This role needs two-step sign-in: the person sets it up at their first sign-in."), "success")
            else:
                flash(_("Account created."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    form.password.data = ""
    return render_template("admin/user_form.html", form=form, full=can_manage_all_users(current_user))


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_edit_user(current_user, user):
        abort(404)  # a supervisor cannot even learn that other accounts exist
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@user_managers
def user_edit(user_id: int):
    user = _target(user_id)
    full = can_manage_all_users(current_user)
    form = UserEditForm(
        obj=None,
        data={
            "role": user.role,
            "organisation": user.organisation.code if user.organisation else "",
            "body": user.body.code if user.body else "",
            "force": user.force.code if user.force else "",
            "units": [u.id for u in user.units],
        },
    )
    _fill_user_choices(form, current_user)
    if full and can_change_role(current_user, user) and form.validate_on_submit():
        try:
            changed = account_services.update_user(
                user, actor=current_user._get_current_object(), role=form.role.data,
                **_affiliation_args(form, current_user),
            )
        except account_services.AccountError as exc:
            db.session.rollback()
            user = _target(user_id)
            _field_error(form, exc, "role")
        else:
            db.session.commit()
            flash(_("Changes saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        roles=ROLES,
        action_form=ConfirmForm(prefix="act"),
        can_change=full and can_change_role(current_user, user),
        can_disable=can_disable_user(current_user, user),
        can_reset=can_reset_totp(current_user, user),
    )


def _user_action(user_id: int, check, do, message: str):
    user = _target(user_id)
    form = ConfirmForm(prefix="act")
    if not form.validate_on_submit():
        abort(400)
    if not check(current_user, user):
        abort(403)
    do(user, actor=current_user._get_current_object())
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/disable")
@user_managers
def user_disable(user_id: int):
    return _user_action(user_id, can_disable_user, lambda u, actor: account_services.set_active(u, False, actor=actor),
                        _("The account is disabled and signed out everywhere."))


@bp.post("/users/<int:user_id>/enable")
@user_managers
def user_enable(user_id: int):
    return _user_action(user_id, can_disable_user, lambda u, actor: account_services.set_active(u, True, actor=actor),
                        _("The account is enabled again."))


@bp.post("/users/<int:user_id>/reset-totp")
@user_managers
def user_reset_totp(user_id: int):
    return _user_action(user_id, can_reset_totp, account_services.reset_totp,
                        _("Two-step sign-in was reset. The person sets it up again at the next sign-in."))


# --------------------------------------------------------------------------- reference data


@bp.route("/organisations", methods=["GET", "POST"])
@admin_only
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        done = _save(form, "code",
                lambda: services.create_organisation(form.code.data, form.name.data, actor=current_user._get_current_object()),
                     _("Organisation added."), "admin.organisations")
        if done:
            return done
    rows = db.session.scalars(sa.select(Organisation).order_by(Organisation.name, Organisation.id)).all()
    return render_template("admin/organisations.html", form=form, organisations=rows)


@bp.route("/forces", methods=["GET", "POST"])
@admin_only
def forces():
    force_form = ForceForm(prefix="force")
    force_form.kind.choices = [(k, str(v)) for k, v in FORCE_KINDS.items()]
    unit_form = UnitForm(prefix="unit")
    all_forces = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    unit_form.force.choices = [(f.id, f"{f.name()} ({f.code})") for f in all_forces]
    actor = current_user._get_current_object()
    if force_form.submit.data and force_form.validate_on_submit():
        done = _save(force_form, "code",
                lambda: services.create_force(force_form.code.data, force_form.kind.data, force_form.names(), actor=actor),
                     _("Force added."), "admin.forces")
        if done:
            return done
    elif unit_form.submit.data and unit_form.validate_on_submit():
        done = _save(unit_form, "code",
                lambda: services.create_unit(db.session.get(Force, unit_form.force.data), unit_form.code.data,
                                             unit_form.names(), actor=actor),
                     _("Unit added."), "admin.forces")
        if done:
            return done
    missing = {("unit", u.id): services.missing_languages(u.names) for f in all_forces for u in f.units}
    missing.update({("force", f.id): services.missing_languages(f.names) for f in all_forces})
    return render_template("admin/forces.html", force_form=force_form, unit_form=unit_form, forces=all_forces,
                           kinds=FORCE_KINDS, missing=missing)


def _region_form(region: Region | None = None, prefix: str = "") -> RegionForm:
    form = RegionForm(prefix=prefix)
    form.level.choices = [("0", _("Country")), ("1", _("Province")), ("2", _("District"))]
    form.kind.choices = [("land", _("Land")), ("maritime", _("Maritime zone"))]
    rows = db.session.scalars(sa.select(Region).where(Region.level < 2).order_by(Region.pcode)).all()
    form.parent.choices = _blank() + [(r.pcode, "\u2003" * r.level + r.name() + " (" + r.pcode + ")")
                                      for r in rows if region is None or r.id != region.id]
    if region is not None:
        delattr(form, "pcode")  # a region keeps its P-code
    if region is not None and not form.is_submitted():
        form.level.data, form.kind.data = str(region.level), region.kind
        form.parent.data = region.parent.pcode if region.parent else ""
        for lang in NAME_LANGUAGES:
            getattr(form, f"name_{lang}").data = (region.names or {}).get(lang, "")
    return form


def _save_region(form, region=None):
    return lambda: services.save_region(
        form.pcode.data if region is None else region.pcode, parent_pcode=form.parent.data or None,
        level=form.level.data, kind=form.kind.data, names=form.names(),
        actor=current_user._get_current_object(), region=region)


@bp.route("/regions", methods=["GET", "POST"])
@admin_only
def regions():
    form = RegionUploadForm()
    one = _region_form(prefix="one")
    if one.submit.data:
        if one.validate_on_submit():
            done = _save(one, "pcode", _save_region(one), _("Region saved."), "admin.regions")
            if done:
                return done
    elif form.validate_on_submit():
        done = _save(form, "file", lambda: services.import_regions(form.file.data.read(), actor=current_user._get_current_object()),
                     lambda count: ngettext("%(num)s region loaded.", "%(num)s regions loaded.", count), "admin.regions")
        if done:
            return done
    rows = db.session.scalars(sa.select(Region).order_by(Region.pcode)).all()
    return render_template("admin/regions.html", form=form, one=one, regions=rows,
                           missing={r.id: services.missing_languages(r.names) for r in rows})


@bp.route("/regions/<pcode>", methods=["GET", "POST"])
@admin_only
def region_edit(pcode: str):
    region = db.session.scalar(sa.select(Region).where(Region.pcode == pcode)) if "\x00" not in pcode else None
    if region is None:
        abort(404)
    form = _region_form(region)
    if form.validate_on_submit():
        done = _save(form, "name_en", _save_region(form, region), _("Region saved."), "admin.regions")
        if done:
            return done
    return render_template("admin/region_edit.html", form=form, region=region)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@admin_only
def unit_edit(unit_id: int):
    unit = db.session.get(Unit, unit_id) if unit_id < 2**31 else None
    if unit is None:
        abort(404)
    form = UnitEditForm()
    if not form.is_submitted():
        for lang in NAME_LANGUAGES:
            getattr(form, f"name_{lang}").data = (unit.names or {}).get(lang, "")
    if form.validate_on_submit():
        done = _save(form, "name_en", lambda: services.rename_unit(unit, form.names(), actor=current_user._get_current_object()),
                     _("Unit saved."), "admin.forces")
        if done:
            return done
    return render_template("admin/unit_edit.html", form=form, unit=unit)


@bp.route("/boundaries", methods=["GET", "POST"])
@admin_only
def boundaries():
    """Outlines of provinces and districts for the maps (no one else's tiles)."""
    form = BoundaryUploadForm()
    if form.validate_on_submit():
        done = _save(form, "file", lambda: services.import_boundaries(form.file.data.read(), actor=current_user._get_current_object()),
                     lambda count: _("%(n)s outlines loaded.", n=count), "admin.boundaries")
        if done:
            return done
    rows = db.session.execute(
        sa.select(Region, RegionBoundary.vertices, RegionBoundary.updated_at)
        .join(RegionBoundary, RegionBoundary.region_id == Region.id).order_by(Region.pcode)
    ).all()
    return render_template("admin/boundaries.html", form=form, rows=rows, preview=district_map())


@bp.route("/operations", methods=["GET", "POST"])
@admin_only
def operations():
    form = OperationForm()
    form.force.choices = _force_choices(_("— any —"))
    form.region.choices = _region_choices()
    if form.validate_on_submit():
        done = _save(form, "code", lambda: services.create_operation(
            form.code.data, form.names(),
            force=db.session.scalar(sa.select(Force).filter_by(code=form.force.data)) if form.force.data else None,
            region=db.session.scalar(sa.select(Region).filter_by(pcode=form.region.data)) if form.region.data else None,
            starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            actor=current_user._get_current_object(),
        ), _("Operation added."), "admin.operations")
        if done:
            return done
    rows = db.session.scalars(sa.select(Operation).order_by(Operation.code)).all()
    return render_template("admin/operations.html", form=form, operations=rows)


@bp.route("/bodies", methods=["GET", "POST"])
@admin_only
def bodies():
    body_form = BodyForm(prefix="body")
    rule_form = RoutingRuleForm(prefix="rule")
    rule_form.force.choices = _force_choices(_("— any —"))
    rule_form.region.choices = _region_choices()
    rule_form.body.choices = _body_choices(_("— choose —"))
    actor = current_user._get_current_object()
    if body_form.submit.data and body_form.validate_on_submit():
        done = _save(body_form, "code",
                lambda: services.create_body(body_form.code.data, body_form.names(), body_form.email.data, actor=actor),
                     _("Oversight body added."), "admin.bodies")
        if done:
            return done
    elif rule_form.submit.data and rule_form.validate_on_submit():
        done = _save(rule_form, "body", lambda: services.create_routing_rule(
            force=db.session.scalar(sa.select(Force).filter_by(code=rule_form.force.data)) if rule_form.force.data else None,
            region=db.session.scalar(sa.select(Region).filter_by(pcode=rule_form.region.data)) if rule_form.region.data else None,
            body=db.session.scalar(sa.select(OversightBody).filter_by(code=rule_form.body.data)) if rule_form.body.data else None,
            actor=actor,
        ), _("Routing rule added."), "admin.bodies")
        if done:
            return done
    all_bodies = db.session.scalars(sa.select(OversightBody).order_by(OversightBody.code)).all()
    rules = db.session.scalars(sa.select(RoutingRule).order_by(RoutingRule.id)).all()
    return render_template(
        "admin/bodies.html", body_form=body_form, rule_form=rule_form, bodies=all_bodies, rules=rules,
        delete_form=ConfirmForm(prefix="del"),
    )


@bp.post("/routing/<int:rule_id>/delete")
@admin_only
def routing_rule_delete(rule_id: int):
    form = ConfirmForm(prefix="del")
    if not form.validate_on_submit():
        abort(400)
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        abort(404)
    services.delete_routing_rule(rule, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Routing rule deleted."), "success")
    return redirect(url_for("admin.bodies"))


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    current = triage_deadlines()
    form = SettingsForm(data={**{f"deadline_{s}": current[s] for s in SEVERITY_ORDER}, "k_threshold": k_threshold()})
    if form.validate_on_submit():
        done = _save(form, "k_threshold", lambda: services.save_settings(
            deadlines=form.deadlines(), k_threshold=form.k_threshold.data, actor=current_user._get_current_object(),
        ), _("Settings saved."), "admin.settings")
        if done:
            return done
    return render_template("admin/settings.html", form=form)


