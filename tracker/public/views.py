"""Home page, health check, the transparency page and its HXL export."""
import csv
import io

import sqlalchemy as sa
from flask import Blueprint, Response, render_template
from flask_babel import format_decimal
from flask_babel import gettext as _

from tracker.core.compression import compressible
from tracker.core.db import database_unavailable, safe_rollback
from tracker.core.errors import RETRY_AFTER_SECONDS
from tracker.core.i18n import current_language, text_direction
from tracker.extensions import db
from tracker.metrics.trends import transparency as transparency_data
from tracker.metrics.trends import transparency_hxl_rows
from tracker.reference import maps
from tracker.responses.queries import public_responses
from tracker.trends import charts
from tracker.trends.views import show_figure

bp = Blueprint("public", __name__, template_folder="templates")


@bp.get("/")
@compressible
def home():
    return render_template("public/home.html")


@bp.get("/healthz")
def healthz():
    """200 when the app can reach its database, else 503 with Retry-After
    (for the proxy's or the orchestrator's health checks)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        safe_rollback(db.session)
        return {"status": "unavailable", "database": "unreachable"}, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {"status": "ok"}


@bp.get("/transparency")
@compressible
def transparency():
    """Public, anonymous: month × province counts, the trust index trend and
    approved commander responses (figures from the published release;
    responses in the reader's language when translated)."""
    page = transparency_data()
    rtl = text_direction() == "rtl"
    k = page.k
    monthly = charts.column_chart(
        [(r.label, r.total) for r in page.rows],
        title=_("Reports per month"),
        desc=_("Number of reports each month, all provinces; dashed outlines mean the figure is hidden."),
        k=k,
        rtl=rtl,
    )
    trust_charts = [
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
    ]
    # The map shows a province's figure only where the table gives it exactly.
    province_map = maps.province_map(
        maps.figures_for_regions([code for code, _name in page.provinces],
                                 [c.value if c.status == "published" else None for c in page.col_totals]),
        title=_("Map: reports by province over these months"),
        hidden_label=_("hidden to protect privacy"),
        lang=current_language(),
        legend_format=format_decimal,
    )
    return render_template(
        "public/transparency.html",
        page=page,
        monthly=monthly,
        trust_charts=trust_charts,
        show=lambda f: show_figure(f, k),
        province_map=province_map,
        responses=public_responses(current_language()),
    )


@bp.get("/transparency/hxl")
def transparency_hxl():
    """The /transparency figures as an HXL-tagged CSV for humanitarian
    partners (HDX, OCHA): the same release, nothing hidden there given here."""
    buf = io.StringIO()
    csv.writer(buf).writerows(transparency_hxl_rows(transparency_data()))
    resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename=tracker-transparency-hxl.csv"
    return resp
