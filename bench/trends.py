"""Benchmark /trends and /transparency: rollups against the raw reports.

    .venv/bin/python bench/trends.py --reports 1000000                      # SQLite
    .venv/bin/python bench/trends.py --reports 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:55432/bench  # PostgreSQL

1. Builds the database with the synthetic generator behind bench/generate.py
   (tracker.demo.synthetic.generate: bulk inserts), unless it already holds
   at least --reports reports (then it is reused; --fresh rebuilds it).
2. Rebuilds the rollups (``flask rollup``) and times it.
3. Signs in as an ARMY commander through the real /login form, and times
   --requests requests of each page with the Flask test client (server time:
   routing, queries, anonymisation, templates), after one warm-up request.
4. Times the same pages again with the rollup readers replaced by queries
   straight on the raw reports (kept here, in bench only), checks that both
   give the same figures, and prints median and p95 with the ratio.
   Since issue 7 the pages read the published release (built here after the
   rollups with ``publish_due``), not the rollups: both columns then time
   the same code, and bench/release_utility.py is the benchmark to use.
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import time
from datetime import date, datetime

import click

# Run as a script, bench/ is first on sys.path; import the project from its
# root instead, so that no bench script can shadow a standard module.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

PAGES = [
    ("/trends", "commander"),
    ("/trends?grain=week", "commander"),
    ("/trends?province=XV03&category=assault", "commander"),
    ("/transparency", "anonymous"),
]
PASSWORD = "bench password for the commander 1"


# --------------------------------------------------------------------------- raw readers


def _raw_readers(dialect: str):
    """Functions with the signatures of tracker.metrics.queries that read the
    raw report, case, category and pulse tables instead of the rollups."""
    import sqlalchemy as sa

    from tracker.cases.models import Case
    from tracker.extensions import db
    from tracker.intake.models import PulseResponse, Report, ReportCategory
    from tracker.metrics.anonymise import period_end, period_start
    from tracker.metrics.trust import trust_and_safety
    from tracker.reference.models import Region

    def period_expr(col, grain):
        if dialect == "postgresql":
            return sa.cast(sa.func.date_trunc(grain, col), sa.Date)
        if grain == "month":
            return sa.func.date(col, "start of month")
        return sa.func.date(col, sa.literal("-") + sa.cast((sa.cast(sa.func.strftime("%w", col), sa.Integer) + 6) % 7, sa.String) + " days")

    def as_date(v):
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, str):
            return date.fromisoformat(v[:10])
        return v

    district = sa.orm.aliased(Region)
    province_expr = sa.case((district.level == 2, district.parent_id), (district.level == 1, district.id), else_=0)
    resolved = sa.and_(Case.state.in_(("resolved", "closed")), Case.outcome.is_not(None))

    def flag(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    field_exprs = {
        "reports": sa.func.count(),
        "killed": sa.func.sum(Report.killed),
        "injured": sa.func.sum(Report.injured),
        "detained": sa.func.sum(Report.detained),
        "missing": sa.func.sum(Report.missing),
        "displaced": sa.func.sum(Report.displaced_households),
        "property_damaged": flag(Report.property_damaged.is_(True)),
        "children": flag(Report.victims_children.is_(True)),
        "women": flag(Report.victims_women.is_(True)),
        "elderly": flag(Report.victims_elderly.is_(True)),
        "disability": flag(Report.victims_disability.is_(True)),
        "resolved": flag(resolved),
        **{o: flag(sa.and_(resolved, Case.outcome == o))
           for o in ("substantiated", "partly_substantiated", "not_substantiated", "unable_to_determine")},
    }

    def base(scope, f, grain, with_case):
        q = sa.select().select_from(Report).join(district, district.id == Report.region_id)
        if with_case:
            q = q.outerjoin(Case, Case.id == Report.case_id)
        cond = [Report.consent_statistics.is_(True)]
        if grain == "week":
            cond.append(Report.occurred_precision == "day")
        if f.first is not None:
            cond.append(Report.occurred_on >= f.first)
        if f.last is not None:
            cond.append(Report.occurred_on <= period_end(f.last, grain))
        if scope.force_ids is not None:
            cond.append(sa.func.coalesce(Report.force_id, 0).in_(scope.force_ids))
        if scope.unit_ids is not None:
            cond.append(sa.func.coalesce(Report.unit_id, 0).in_(scope.unit_ids))
        if f.province_id:
            cond.append(province_expr == f.province_id)
        if f.unit_id:
            cond.append(Report.unit_id == f.unit_id)
        return q, cond

    def report_sums(scope, f, group_by, fields=("reports",), *, grain=None, by_category=False):
        grain = grain or f.grain
        needs_case = any(name in ("resolved", "substantiated", "partly_substantiated", "not_substantiated",
                                  "unable_to_determine") for name in fields)
        q, cond = base(scope, f, grain, needs_case)
        if by_category or f.category:
            q = q.join(ReportCategory, ReportCategory.report_id == Report.id)
            if f.category:
                cond.append(ReportCategory.category == f.category)
        cols = {
            "period_start": period_expr(Report.occurred_on, grain),
            "province_id": province_expr,
            "region_id": Report.region_id,
            "force_id": sa.func.coalesce(Report.force_id, 0),
            "unit_id": sa.func.coalesce(Report.unit_id, 0),
            "severity": Report.severity,
            "category": ReportCategory.category,
        }
        gcols = [cols[g] for g in group_by]
        stmt = q.add_columns(*gcols, *[field_exprs[n].label(n) for n in fields]).where(*cond).group_by(*gcols)
        out = {}
        for row in db.session.execute(stmt):
            key = tuple(as_date(v) if g == "period_start" else v for g, v in zip(group_by, row[: len(gcols)], strict=False))
            out[key] = {n: int(row._mapping[n] or 0) for n in fields}
        return out

    def duration_histograms(scope, f, first_month, last_month):
        from tracker.metrics.queries import Filters
        from tracker.metrics.rollups import duration_bucket

        ff = Filters("month", first_month, last_month, f.province_id, None, f.unit_id)
        out = {"triage": {}, "resolution": {}}
        for kind, end, extra in (("triage", Case.triaged_at, None), ("resolution", Case.resolved_at, resolved)):
            q, cond = base(scope, ff, "month", True)
            if dialect == "postgresql":
                days = sa.cast(sa.func.floor(sa.extract("epoch", end - Case.created_at) / 86400), sa.Integer)
            else:
                days = sa.cast(sa.func.julianday(end) - sa.func.julianday(Case.created_at), sa.Integer)
            cond.append(end.is_not(None))
            if extra is not None:
                cond.append(extra)
            stmt = q.add_columns(days.label("d"), sa.func.count()).where(*cond).group_by(days)
            for d, n in db.session.execute(stmt):
                b = duration_bucket(max(0, int(d)))
                out[kind][b] = out[kind].get(b, 0) + int(n)
        return out

    def first_period(scope, grain):
        cond = [Report.consent_statistics.is_(True)]
        if grain == "week":
            cond.append(Report.occurred_precision == "day")
        if scope.force_ids is not None:
            cond.append(sa.func.coalesce(Report.force_id, 0).in_(scope.force_ids))
        v = db.session.scalar(sa.select(sa.func.min(Report.occurred_on)).where(*cond))
        return period_start(as_date(v), grain) if v else None

    def trust_by_region_month(*, level, first, last, province_id=None, force_ids=None):
        from tracker.metrics.queries import TrustRow, region_codes

        P = PulseResponse
        qs = (P.respect, P.voice, P.fairness, P.safe_to_report)
        answered = sum(sa.case((c.is_not(None), 1), else_=0) for c in qs)
        total = sum(sa.func.coalesce(c, 0) for c in qs)
        v12 = sa.case((answered > 0, 12 * total / sa.func.nullif(answered, 0)), else_=None)
        s12 = 12 * P.safety
        reg = sa.orm.aliased(Region)
        region_col = sa.case((reg.level == 2, reg.parent_id), else_=reg.id) if level == 1 else P.region_id
        cond = []
        if first is not None:
            cond.append(P.month >= first)
        if last is not None:
            cond.append(P.month <= last)
        if province_id:
            cond.append(sa.case((reg.level == 2, reg.parent_id), else_=reg.id) == province_id)
        stmt = (
            sa.select(region_col, P.month,
                      sa.func.count(v12).label("n_trust"), sa.func.sum(v12).label("sum_trust"),
                      sa.func.sum(v12 * v12).label("sumsq_trust"), sa.func.count(s12).label("n_safety"),
                      sa.func.sum(s12).label("sum_safety"), sa.func.sum(s12 * s12).label("sumsq_safety"))
            .join(reg, reg.id == P.region_id)
            .where(*cond)
            .group_by(region_col, P.month)
            .order_by(region_col, P.month)
        )
        codes = region_codes()
        out = []
        for row in db.session.execute(stmt):
            sums = {k: int(row._mapping[k] or 0) for k in
                    ("n_trust", "sum_trust", "sumsq_trust", "n_safety", "sum_safety", "sumsq_safety")}
            trust, safety = trust_and_safety(sums)
            out.append(TrustRow(row[0], codes.get(row[0], ""), as_date(row[1]), trust, safety))
        return out

    return {
        "report_sums": report_sums,
        "duration_histograms": duration_histograms,
        "first_period": first_period,
        "trust_by_region_month": trust_by_region_month,
    }


class raw_source:
    """Swap the rollup readers for the raw ones while inside the block."""

    def __init__(self, dialect: str):
        self.readers = _raw_readers(dialect)

    def __enter__(self):
        from tracker.metrics import alerts, queries, trends

        self.saved = []
        for module in (queries, trends, alerts):
            for name, fn in self.readers.items():
                if hasattr(module, name):
                    self.saved.append((module, name, getattr(module, name)))
                    setattr(module, name, fn)
        return self

    def __exit__(self, *exc):
        for module, name, fn in self.saved:
            setattr(module, name, fn)


# --------------------------------------------------------------------------- timing


def _time(client, url: str, n: int) -> tuple[list[float], bytes]:
    body = client.get(url).data  # warm-up
    times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
        body = resp.data
    return times, body


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def _normalise(body: bytes) -> str:
    text = body.decode()
    text = re.sub(r"chart\d+-[td]", "chart", text)
    return re.sub(r'name="csrf_token"[^>]*>', "", text)


def _login(client, email: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    resp = client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    if resp.status_code != 302 or "/login" in resp.headers.get("Location", ""):
        raise click.ClickException(f"could not sign in as {email}: {resp.status_code}")


@click.command()
@click.option("--reports", default=1_000_000, show_default=True)
@click.option("--database-url", default="sqlite:////tmp/tracker-bench-trends.db", show_default=True)
@click.option("--requests", "n", default=20, show_default=True, help="Timed requests per page and source.")
@click.option("--seed", default=1, show_default=True)
@click.option("--fresh", is_flag=True, help="Drop every table first.")
@click.option("--batch-size", default=5000, show_default=True)
@click.option("--raw-requests", default=None, type=int, help="Timed requests from raw reports [default: requests/4, at least 3].")
@click.option("--reuse-rollups", is_flag=True, help="Keep the rollups already in the database (no rebuild).")
def main(reports: int, database_url: str, n: int, seed: int, fresh: bool, batch_size: int,
         raw_requests: int | None, reuse_rollups: bool) -> None:
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.demo.reference import load_reference_data
    from tracker.extensions import db
    from tracker.intake.models import Report
    from tracker.metrics import rollups

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=False)
    dialect = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"
    with app.app_context():
        if fresh:
            db.drop_all()
        db.create_all()
        from tracker.metrics.models import DurationRollup, PulseRollup, ReportRollup

        for model in (ReportRollup, DurationRollup, PulseRollup):  # indexes added since the tables were made
            for index in model.__table__.indexes:
                index.create(bind=db.engine, checkfirst=True)
        load_reference_data()
        db.session.commit()
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        if have < reports:
            from tracker.demo.synthetic import generate

            click.echo(f"Generating {reports - have:,} synthetic reports (bulk inserts)…", err=True)
            t = time.perf_counter()
            with rollups.paused():
                generate(reports - have, seed, batch_size=batch_size,
                         progress=lambda k: None)
                db.session.commit()
            click.echo(f"  generated in {time.perf_counter() - t:.0f} s", err=True)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        if dialect == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
        else:
            db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        t = time.perf_counter()
        if reuse_rollups and db.session.scalar(sa.select(sa.func.count()).select_from(ReportRollup)):
            stats = {name: db.session.scalar(sa.select(sa.func.count()).select_from(m))
                     for name, m in (("report_rows", ReportRollup), ("duration_rows", DurationRollup),
                                     ("pulse_rows", PulseRollup))}
            rollup_s = None
        else:
            stats = rollups.rebuild()
            db.session.commit()
            rollup_s = time.perf_counter() - t
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        # The pages read the published release (issue 7), not the rollups:
        # publish every closed month that has none yet.
        from tracker.metrics.release import publish_due

        t = time.perf_counter()
        published = publish_due()
        db.session.commit()
        click.echo(f"  {len(published)} release month(s) published in {time.perf_counter() - t:.0f} s", err=True)

        from tracker.accounts.models import User
        from tracker.accounts.services import create_user

        email = "bench-commander@example.org"
        if db.session.scalar(sa.select(User).where(User.email == email)) is None:
            create_user(email, "commander", PASSWORD, force="ARMY")
            db.session.commit()
        db.session.remove()

    raw_n = raw_requests or max(3, n // 4)
    commander = app.test_client()
    _login(commander, email)
    anonymous = app.test_client()
    rows = []
    for url, who in PAGES:
        client = commander if who == "commander" else anonymous
        with app.app_context():
            fast, body_fast = _time(client, url, n)
        with app.app_context(), raw_source(dialect):
            slow, body_slow = _time(client, url, raw_n)
        same = _normalise(body_fast) == _normalise(body_slow)
        rows.append((url, statistics.median(fast), _p95(fast), statistics.median(slow), _p95(slow), same))

    where = app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]
    click.echo("")
    rebuilt = f"rollup rebuild {rollup_s:.0f} s" if rollup_s is not None else "rollups reused"
    click.echo(f"Database: {dialect} ({where}), {total:,} reports; {rebuilt} "
               f"({stats['report_rows']:,} count rows, {stats['duration_rows']:,} duration rows, "
               f"{stats['pulse_rows']:,} survey rows)")
    click.echo(f"Server time per request, Flask test client, ms ({n} requests with rollups, "
               f"{raw_n} from raw reports, after one warm-up); load average {os.getloadavg()[0]:.1f} at the end:")
    click.echo("")
    click.echo(f"| {'page':<42} | rollups median | rollups p95 | raw median | raw p95 | raw / rollups | same figures |")
    click.echo(f"|{'-' * 44}|---------------:|------------:|-----------:|--------:|--------------:|:------------:|")
    for url, fm, fp, sm, sp, same in rows:
        click.echo(f"| {url:<42} | {fm:14.1f} | {fp:11.1f} | {sm:10.0f} | {sp:7.0f} | {sm / fm:12.0f}× | "
                   f"{'yes' if same else 'NO'} |")
    click.echo("")
    click.echo("Rerun: .venv/bin/python bench/trends.py --reports " + f"{reports} --database-url '{database_url}'"
               + (" --reuse-rollups" if reuse_rollups else ""))


if __name__ == "__main__":
    main()
