"""Commander trend pages and responses. Views are thin: parse, call one
service, render. All figures arrive already anonymised from
tracker.metrics.trends."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.permissions import roles_required
from tracker.core.i18n import text_direction
from tracker.extensions import db
from tracker.metrics import trends as trends_service
from tracker.metrics.trust import LOW_CONFIDENCE_N, MIN_N
from tracker.responses.permissions import can_write_response
from tracker.responses.queries import pending_review_count
from tracker.trends import charts, exports
from tracker.trends.filters import parse_filters
from tracker.trends.permissions import can_view_trends

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
    if not can_view_trends(current_user):
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
        can_respond=can_write_response(current_user),
        pending=pending_review_count(current_user),
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
