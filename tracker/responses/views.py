"""Pages for commander responses, under /trends/responses: commanders
write them, supervisors approve, return and translate them. Views are thin:
parse the form, call one workflow function, commit once, redirect."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.permissions import roles_required
from tracker.core.i18n import current_language
from tracker.core.params import parse_db_id
from tracker.extensions import db
from tracker.metrics.anonymise import period_label
from tracker.reference.models import Unit
from tracker.responses import permissions, queries, workflow
from tracker.responses.models import RESPONSE_STATUSES, CommanderResponse

bp = Blueprint("responses", __name__, template_folder="templates")


def _parse_period(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _optional_id(raw: str, field: str) -> int | None:
    """An optional id from the form: empty → None; not an id the database
    can hold → the field's error."""
    if not raw:
        return None
    value = parse_db_id(raw)
    if value is None:
        raise workflow.ResponseError(_("Choose from the list."), field)
    return value


def _valid_prefill(values: dict) -> bool:
    """Values given in the URL of a new response: each empty or well-formed."""
    return (
        values["grain"] in ("", "month", "week")
        and (not values["period"] or _parse_period(values["period"]) is not None)
        and all(not values[k] or parse_db_id(values[k]) is not None for k in ("region", "unit"))
    )


def _visible_or_404(response_id: int) -> CommanderResponse:
    resp = db.session.get(CommanderResponse, response_id)
    if resp is None or not permissions.can_view_response(current_user, resp):
        abort(404)
    return resp


@bp.get("/trends/responses")
@roles_required("commander", "supervisor")
def index():
    reader = current_language()
    items = [(r, queries.shown_text(r, reader)) for r in queries.responses_for(current_user)]
    return render_template(
        "responses/list.html", items=items, statuses=RESPONSE_STATUSES, period_label=period_label,
        can_respond=permissions.can_write_response(current_user),
    )


@bp.route("/trends/responses/new", methods=["GET", "POST"])
@roles_required("commander")
def new():
    return _response_form(None)


@bp.route("/trends/responses/<int:response_id>", methods=["GET", "POST"])
@roles_required("commander", "supervisor")
def edit(response_id: int):
    return _response_form(_visible_or_404(response_id))


@bp.post("/trends/responses/<int:response_id>/translation")
@roles_required("supervisor")
def translate(response_id: int):
    resp = _visible_or_404(response_id)
    values = {"language": request.form.get("language", ""), "translation": request.form.get("translation", "")}
    try:
        translation = workflow.add_translation(current_user, resp, language=values["language"], text=values["translation"],
                                               languages=current_app.config["LANGUAGES"])
        db.session.commit()
    except workflow.ResponseError as exc:
        db.session.rollback()
        field = {"text": "translation"}.get(exc.field, exc.field) or "translate"
        return _response_form(resp, translation_values=values, translation_errors={field: exc.message})
    flash(_("Translation saved: readers in %(language)s now see it.",
            language=queries.language_name(translation.language, current_language())), "ok")
    return redirect(url_for("responses.edit", response_id=resp.id, _anchor="translations"))


def _response_form(resp: CommanderResponse | None, translation_values: dict | None = None,
                   translation_errors: dict | None = None):
    src = request.form if request.method == "POST" and translation_values is None else request.args
    values = {
        "text": src.get("text", resp.text if resp else ""),
        "grain": src.get("grain", resp.grain if resp else "month"),
        "period": src.get("period", resp.period_start.isoformat() if resp else ""),
        "region": src.get("region", str(resp.region_id or "") if resp else ""),
        "unit": src.get("unit", str(resp.unit_id or "") if resp else ""),
        "alert": src.get("alert", (resp.alert_key or "") if resp else ""),
        "note": src.get("note", ""),
    }
    errors = {}
    if request.method == "GET" and not _valid_prefill(values):
        abort(400)  # a link that prefills the form with values it cannot hold
    if request.method == "POST" and translation_values is None:
        action = request.form.get("action", "save")
        try:
            if action in ("approve", "return"):
                if action == "approve":
                    workflow.approve(current_user, resp, values["note"])
                    message = _("Approved. It is now on the public transparency page.")
                else:
                    workflow.return_for_changes(current_user, resp, values["note"])
                    message = _("Returned to the commander with your note.")
            else:
                period = _parse_period(values["period"])
                if period is None:
                    raise workflow.ResponseError(_("Choose a period."), "period")
                resp = workflow.save_draft(
                    current_user,
                    text=values["text"],
                    grain=values["grain"],
                    period=period,
                    region_id=_optional_id(values["region"], "region"),
                    unit_id=_optional_id(values["unit"], "unit"),
                    alert_key=values["alert"],
                    language=current_language(),
                    response=resp,
                )
                if action == "submit":
                    workflow.submit(current_user, resp)
                    message = _("Sent for approval by the oversight body.")
                else:
                    message = _("Draft saved.")
            db.session.commit()
            flash(message, "ok")
            return redirect(url_for("responses.edit", response_id=resp.id))
        except workflow.ResponseError as exc:
            db.session.rollback()
            errors[exc.field or "form"] = exc.message
    units = []
    if getattr(current_user, "force_id", None):
        units = [(str(u.id), u.name()) for u in db.session.query(Unit).filter_by(force_id=current_user.force_id).order_by(Unit.code)]
    reader = current_language()
    can_translate = resp is not None and permissions.can_translate_response(current_user, resp)
    return render_template(
        "responses/form.html",
        resp=resp,
        values=values,
        errors=errors,
        units=units,
        statuses=RESPONSE_STATUSES,
        period_label=period_label,
        can_edit=resp is None or permissions.can_edit_response(current_user, resp),
        can_review=resp is not None and resp.status == "submitted" and permissions.can_review_response(current_user, resp),
        can_translate=can_translate,
        original_name=queries.language_name(resp.language, reader) if resp is not None else "",
        translations=[(t, queries.language_name(t.language, reader)) for t in resp.translations] if resp is not None else [],
        translation_languages=[(code, queries.language_name(code, reader)) for code in current_app.config["LANGUAGES"]
                               if resp is not None and code != resp.language],
        translation_values=translation_values or {"language": "", "translation": ""},
        translation_errors=translation_errors or {},
    ), (400 if errors or translation_errors else 200)
