"""Commander trend pages and responses. Views are thin: parse, call one
service, render. All figures arrive already anonymised from
tracker.metrics.trends."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.permissions import roles_required
from tracker.core.i18n import current_language, text_direction
from tracker.core.params import parse_db_id
from tracker.extensions import db
from tracker.metrics import trends as trends_service
from tracker.metrics.anonymise import period_label
from tracker.metrics.models import RESPONSE_STATUSES, CommanderResponse
from tracker.metrics.trust import LOW_CONFIDENCE_N, MIN_N
from tracker.trends import charts, exports, responses
from tracker.trends.filters import parse_filters

bp = Blueprint("trends", __name__, template_folder="templates")
# The trust index's publication thresholds, for the macros shared with
# /transparency (trends/_macros.html): defined once, in tracker.metrics.trust.
bp.record_once(lambda state: state.app.jinja_env.globals.update(
    TRUST_MIN_N=MIN_N, TRUST_LOW_CONFIDENCE_N=LOW_CONFIDENCE_N))


def show_figure(fig, k: int) -> str:
    """A release figure as the reader sees it: the number, "fewer than K"
    (only for a count that is itself small), "hidden to protect other
    figures", "at least N" (a sum with hidden parts), or "hidden"."""
    if fig is None:
        return "–"
    if fig.status == "published":
        return format_number(fig.value)
    if fig.status == "at_least":
        return _("at least %(n)s", n=format_number(fig.value))
    if fig.status == "primary":
        return _("fewer than %(k)s", k=k)
    if fig.status == "secondary":
        return _("hidden to protect other figures")
    return _("hidden")


@bp.get("/trends")
@roles_required("commander", "supervisor")
def index():
    if not responses.can_view_trends(current_user):
        abort(403)
    form, view = parse_filters(request.args, current_user)
    output = request.args.get("format", "html")
    if output not in ("html", "csv"):
        abort(400)
    # A filter value that is not valid is the client's mistake: the page
    # shows the message next to the filter, with status 400; no CSV.
    status = 400 if form.errors else 200
    if output == "csv" and form.errors:
        abort(400)
    page = trends_service.commander_trends(view)
    k = page.k
    if output == "csv":
        exports.record_export(current_user, view.scope, request.args)
        db.session.commit()
        return _csv(page)
    rtl = text_direction() == "rtl"
    text = lambda f: show_figure(f, k)  # noqa: E731
    chart = {
        "period": charts.column_chart(
            [(i.label, i.cell) for i in page.by_period.items],
            title=page.period_title,
            desc=_("Number of reports in each period; dashed outlines mean the figure is hidden."),
            k=k,
            rtl=rtl,
        ),
        "region": charts.bar_chart(
            [(i.label, i.cell) for i in page.by_region.items],
            title=page.region_title, desc=_("Number of reports in each region."), k=k, rtl=rtl,
            fewer_label=text,
        ) if page.by_region else "",
        "category": charts.bar_chart(
            [(i.label, i.cell) for i in page.by_category.items],
            title=_("Reports by kind of harm"),
            desc=_("A report can name several kinds of harm."), k=k, rtl=rtl, fewer_label=text,
        ) if page.by_category else "",
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
        show=text,
        csv_url=url_for("trends.index", **csv_args),
        can_respond=responses.can_write_response(current_user),
        pending=responses.pending_review_count(current_user),
    ), status


def _csv(page) -> Response:
    """Every figure on the page, one per line, as the release has it:
    scope, table, grain, period, key, label, status, value (empty unless
    published or a lower bound), and the text the page shows."""
    buf = io.StringIO()
    w = csv.writer(buf)
    k = page.k
    w.writerow(["scope", "table", "grain", "period", "key", _("Row"), "status", "value", _("Value")])

    def row(fig, label):
        if fig is None:
            return
        grain = "week" if "-W" in fig.period else "month"
        w.writerow([fig.scope, fig.table, grain, fig.period, fig.key, label, fig.status,
                    "" if fig.value is None else fig.value, show_figure(fig, k)])

    for series in (page.by_period, page.by_region, page.by_unit, page.by_category, page.by_severity, page.outcomes):
        if series is None:
            continue
        for item in series.items:
            row(item.cell, item.label)
        row(series.total, _("Total"))
    for label, fig in page.harm:
        row(fig, label)
    for key, figs in page.harm_by_region.items():
        for fig in figs:
            row(fig, key)
    for s in page.trust:
        for month, trust, safety in s.points:
            for name, est in ((_("Trust index"), trust), (_("Safety score"), safety)):
                if est.mean is not None:
                    w.writerow(["all", "trust", "month", month, s.region_id, f"{name} {s.label}", "published",
                                est.n, f"{est.mean:.1f} ({est.low:.1f}–{est.high:.1f}; n={est.n})"])
    for a in page.alerts:
        w.writerow(["", "alert", a.grain, a.period_label, a.key, a.subject_label, "", "", a.explanation])
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
