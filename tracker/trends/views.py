"""Commander trend pages and responses. Views are thin: parse, call one
service, render. All figures arrive already anonymised from
tracker.metrics.trends."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.permissions import roles_required
from tracker.core.i18n import current_language, text_direction
from tracker.core.params import parse_db_id
from tracker.extensions import db
from tracker.metrics import trends as trends_service
from tracker.metrics.anonymise import period_label
from tracker.metrics.models import RESPONSE_STATUSES, CommanderResponse
from tracker.trends import charts, responses
from tracker.trends.filters import parse_filters

bp = Blueprint("trends", __name__, template_folder="templates")


def _fewer(k: int) -> str:
    return _("fewer than %(k)s", k=k)


def _show(cell, k: int) -> str:
    return _fewer(k) if cell is None or cell.value is None else str(cell.value)


@bp.get("/trends")
@roles_required("commander", "supervisor")
def index():
    if not responses.can_view_trends(current_user):
        abort(403)
    form, scope, filters = parse_filters(request.args, current_user)
    output = request.args.get("format", "html")
    if output not in ("html", "csv"):
        abort(400)
    # A filter value that is not valid is the client's mistake: the page
    # shows the message next to the filter, with status 400; no CSV.
    status = 400 if form.errors else 200
    if output == "csv" and form.errors:
        abort(400)
    page = trends_service.commander_trends(scope, filters)
    if output == "csv":
        from tracker.audit.service import record

        # Exports are audited (DESIGN §4): who took which aggregates, never more.
        filters = {k: v for k, v in request.args.items() if k in ("grain", "from", "to", "province", "category", "unit", "force")}
        record("trends.exported", actor=current_user, object_type="force",
               object_id=(scope.force_ids or [None])[0], data={"filters": filters})
        db.session.commit()
        return _csv(page)
    rtl = text_direction() == "rtl"
    k = page.k
    chart = {
        "period": charts.column_chart(
            [(i.label, i.cell) for i in page.by_period.items],
            title=_("Reports per period"),
            desc=_("Number of reports in each period; dashed outlines mean fewer than %(k)s.", k=k),
            k=k,
            rtl=rtl,
        ),
        "region": charts.bar_chart(
            [(i.label, i.cell) for i in page.by_region.items],
            title=_("Reports by region"), desc=_("Number of reports in each region."), k=k, rtl=rtl,
            fewer_label=_fewer(k),
        ),
        "category": charts.bar_chart(
            [(i.label, i.cell) for i in page.by_category.items],
            title=_("Reports by kind of harm"),
            desc=_("A report can name several kinds of harm."), k=k, rtl=rtl, fewer_label=_fewer(k),
        ),
        "trust": [
            (
                s,
                charts.interval_chart(
                    [(lbl, t) for lbl, t, _s in s.points],
                    title=_("Trust index in %(place)s", place=s.label),
                    desc=_("Trust index (0 to 100) per month with its %(level)s interval.", level="95 %"),
                    rtl=rtl,
                ),
            )
            for s in page.trust
        ],
    }
    csv_args = request.args.to_dict()
    csv_args["format"] = "csv"
    return render_template(
        "trends/index.html",
        page=page,
        form=form,
        chart=chart,
        show=lambda c: _show(c, k),
        csv_url=url_for("trends.index", **csv_args),
        can_respond=responses.can_write_response(current_user),
        pending=responses.pending_review_count(current_user),
    ), status


def _csv(page) -> Response:
    """The figures on the page, with the same suppression."""
    buf = io.StringIO()
    w = csv.writer(buf)
    k = page.k
    w.writerow([_("Table"), _("Row"), _("Value")])
    sections = [
        (_("Reports per period"), page.by_period),
        (_("Reports by region"), page.by_region),
        (_("Reports by unit"), page.by_unit),
        (_("Reports by kind of harm"), page.by_category),
        (_("Reports by severity"), page.by_severity),
        (_("Outcomes of resolved cases"), page.outcomes),
    ]
    for title, series in sections:
        for item in series.items:
            w.writerow([title, item.label, _show(item.cell, k)])
        if series.total is not None:
            w.writerow([title, _("Total"), _show(series.total, k)])
    for label, value in page.harm:
        w.writerow([_("Harm"), label, _fewer(k) if value is None else value])
    for unit_label, cells in page.victims:
        for vlabel, cell in zip(page.victim_labels, cells):
            w.writerow([_("Victims by unit"), f"{unit_label}: {vlabel}", _show(cell, k)])
    for s in page.trust:
        for month, trust, safety in s.points:
            for name, est in ((_("Trust index"), trust), (_("Safety score"), safety)):
                if est.mean is None:
                    value = _("not published (fewer than 30 answers)") if est.n else ""
                else:
                    value = f"{est.mean:.1f} ({est.low:.1f}–{est.high:.1f}; n={est.n})"
                w.writerow([name, f"{s.label} {month}", value])
    for a in page.alerts:
        w.writerow([_("Alerts"), a.subject_label, a.explanation])
    resp = Response("\ufeff" + buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename=trends.csv"
    return resp


# --------------------------------------------------------------------------- responses


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
        raise responses.ResponseError(_("Choose from the list."), field)
    return value


def _valid_prefill(values: dict) -> bool:
    """Values given in the URL of a new response: each empty or well-formed."""
    return (
        values["grain"] in ("", "month", "week")
        and (not values["period"] or _parse_period(values["period"]) is not None)
        and all(not values[k] or parse_db_id(values[k]) is not None for k in ("region", "unit"))
    )


@bp.get("/trends/responses")
@roles_required("commander", "supervisor")
def response_list():
    items = responses.responses_for(current_user)
    return render_template(
        "trends/responses.html", items=items, statuses=RESPONSE_STATUSES, period_label=period_label,
        can_respond=responses.can_write_response(current_user),
    )


@bp.route("/trends/responses/new", methods=["GET", "POST"])
@roles_required("commander")
def response_new():
    return _response_form(None)


@bp.route("/trends/responses/<int:response_id>", methods=["GET", "POST"])
@roles_required("commander", "supervisor")
def response_edit(response_id: int):
    resp = db.session.get(CommanderResponse, response_id)
    if resp is None or not responses.can_view_response(current_user, resp):
        abort(404)
    return _response_form(resp)


def _response_form(resp: CommanderResponse | None):
    src = request.form if request.method == "POST" else request.args
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
    if request.method == "POST":
        action = request.form.get("action", "save")
        try:
            if action in ("approve", "return"):
                if action == "approve":
                    responses.approve(current_user, resp, values["note"])
                    message = _("Approved. It is now on the public transparency page.")
                else:
                    responses.return_for_changes(current_user, resp, values["note"])
                    message = _("Returned to the commander with your note.")
            else:
                period = _parse_period(values["period"])
                if period is None:
                    raise responses.ResponseError(_("Choose a period."), "period")
                resp = responses.save_draft(
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
                    responses.submit(current_user, resp)
                    message = _("Sent for approval by the oversight body.")
                else:
                    message = _("Draft saved.")
            db.session.commit()
            flash(message, "ok")
            return redirect(url_for("trends.response_edit", response_id=resp.id))
        except responses.ResponseError as exc:
            db.session.rollback()
            errors[exc.field or "form"] = exc.message
    from tracker.reference.models import Unit

    units = []
    if getattr(current_user, "force_id", None):
        units = [(str(u.id), u.name()) for u in db.session.query(Unit).filter_by(force_id=current_user.force_id).order_by(Unit.code)]
    return render_template(
        "trends/response_form.html",
        resp=resp,
        values=values,
        errors=errors,
        units=units,
        statuses=RESPONSE_STATUSES,
        period_label=period_label,
        can_edit=resp is None or responses.can_edit_response(current_user, resp),
        can_review=resp is not None and resp.status == "submitted" and responses.can_review_response(current_user, resp),
    ), (400 if errors else 200)
