"""Home page, health check and (later) the transparency page."""
from flask import Blueprint, render_template
import sqlalchemy as sa

from tracker.core.db import database_unavailable, safe_rollback
from tracker.core.errors import RETRY_AFTER_SECONDS
from tracker.extensions import db

bp = Blueprint("public", __name__, template_folder="templates")


@bp.get("/")
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
def transparency():
    """Public, anonymous: month × province counts, the trust index trend and
    approved commander responses (all anonymised in tracker.metrics)."""
    from flask_babel import gettext as _

    from tracker.core.i18n import text_direction
    from tracker.metrics.trends import transparency as transparency_data
    from tracker.trends import charts

    page = transparency_data()
    rtl = text_direction() == "rtl"
    k = page.k
    monthly = charts.column_chart(
        list(zip(page.months, page.table.row_totals)),
        title=_("Reports per month"),
        desc=_("Number of reports each month, all provinces; dashed outlines mean fewer than %(k)s.", k=k),
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
    fewer = _("fewer than %(k)s", k=k)
    return render_template(
        "public/transparency.html",
        page=page,
        monthly=monthly,
        trust_charts=trust_charts,
        show=lambda c: fewer if c.value is None else c.value,
    )
