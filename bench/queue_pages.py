"""Time the case queue: its first page and its 1,000th page.

    .venv/bin/python bench/generate.py --reports 1000000 --database-url sqlite:////tmp/bench.db
    .venv/bin/python bench/queue_pages.py --database-url sqlite:////tmp/bench.db

Measures, on the body with the most cases:

- ``service``: ``tracker.cases.queue.queue_page`` (the SQL of one page of 50,
  keyset-paginated, plus loading the rows), the call the HTML page and the
  API make;
- ``page``: the whole GET /cases response (filters, counts at the top,
  categories and regions of the page, template) through the Flask test
  client as a signed-in officer (a bench officer is created if missing).

The cursor of page 1,000 is found once, before timing, with an OFFSET query
(that is what the keyset cursor avoids at request time). Each figure is the
median of ``--runs`` runs after one warm-up. Uses the development
configuration (its secrets in instance/) like bench/generate.py.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from types import SimpleNamespace

import click

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _median_ms(fn, runs: int) -> tuple[float, float, float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times), max(times)


def _ensure_indexes(db, model) -> None:
    """Give a database made by an older model the case indexes the queue
    relies on (an index whose columns changed is rebuilt)."""
    import sqlalchemy as sa

    existing = {ix["name"]: ix["column_names"] for ix in sa.inspect(db.engine).get_indexes(model.__tablename__)}
    for index in model.__table__.indexes:
        want = [c.name for c in index.columns]
        if existing.get(index.name) == want:
            continue
        t0 = time.perf_counter()
        if index.name in existing:
            index.drop(db.engine)
        index.create(db.engine)
        click.echo(f"built index {index.name} ({', '.join(want)}) in {time.perf_counter() - t0:.1f} s")


@click.command()
@click.option("--database-url", envvar="DATABASE_URL", required=True)
@click.option("--runs", default=7, show_default=True)
@click.option("--page", "page_no", default=1000, show_default=True, help="The deep page to time.")
@click.option("--config", "config_name", default="development", show_default=True)
def main(database_url: str, runs: int, page_no: int, config_name: str) -> None:
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.cases.models import Case
    from tracker.cases.queue import ORDER, PAGE_SIZE, QueueFilters, counts, encode_cursor, filtered_query, queue_page
    from tracker.extensions import db

    app = create_app(config_name, SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=False)
    with app.app_context():
        _ensure_indexes(db, Case)
        total = db.session.scalar(sa.select(sa.func.count(Case.id)))
        body_id, body_cases = db.session.execute(
            sa.select(Case.body_id, sa.func.count(Case.id)).group_by(Case.body_id).order_by(sa.func.count(Case.id).desc()).limit(1)
        ).one()
        user = SimpleNamespace(id=0, body_id=body_id)
        filters = QueueFilters(state="all")
        offset = (page_no - 1) * PAGE_SIZE - 1
        anchor = db.session.scalars(filtered_query(user, filters).order_by(*ORDER).offset(offset).limit(1)).first()
        if anchor is None:
            raise click.ClickException(f"fewer than {page_no} pages of cases in body {body_id}")
        cursor = encode_cursor(anchor)
        click.echo(f"database: {database_url.split('@')[-1]} · {total:,} cases, {body_cases:,} in body {body_id}")

        def service(c):
            def run():
                db.session.expunge_all()
                page = queue_page(user, filters, c)
                assert len(page.cases) == PAGE_SIZE
            return run

        first = _median_ms(service(None), runs)
        deep = _median_ms(service(cursor), runs)
        count_ms = _median_ms(lambda: counts(user), runs)

        def page_of(args):
            from tracker.cases.queue import parse_filters

            def run():
                db.session.expunge_all()
                queue_page(user, parse_filters(args), None)
            return run

        extra = [
            ("service: first page, default filters (open)", _median_ms(page_of({}), runs)),
            ("service: first page, critical + region XV01", _median_ms(page_of({"severity": "critical", "region": "XV01"}), runs)),
            ("service: search q=soldiers (common word)", _median_ms(page_of({"q": "soldiers"}), runs)),
            ("service: search q=zzqx (no such word)", _median_ms(page_of({"q": "zzqx"}), runs)),
        ]
        rows = [("service: first page (state=all)", first), (f"service: page {page_no:,} (state=all)", deep),
                ("service: counts at the top of the queue", count_ms), *extra]

        # The full page as a signed-in officer.
        from tracker.accounts import services
        from tracker.accounts.models import User

        officer = db.session.scalar(sa.select(User).where(User.email == "bench-officer@example.org"))
        if officer is None:
            from tracker.reference.models import OversightBody

            officer = services.create_user(
                "bench-officer@example.org", "officer", "bench-password-not-secret",
                body=db.session.get(OversightBody, body_id),
            )
            db.session.commit()
        client = app.test_client()
        ua = "tracker-bench"
        client.environ_base["HTTP_USER_AGENT"] = ua
        # Sign in the way the /login view does (login_user, bind_session),
        # then hand that session to the test client.
        with app.test_request_context(headers={"User-Agent": ua}):
            from flask import session
            from flask_login import login_user

            from tracker.accounts.auth import bind_session

            login_user(officer)
            bind_session()
            session["seen"] = int(time.time())
            signed_in = dict(session)
        with client.session_transaction() as sess:
            sess.update(signed_in)
        probe = client.get("/cases?state=all")
        if probe.status_code == 200:
            def http(url):
                def run():
                    resp = client.get(url)
                    assert resp.status_code == 200, resp.status_code
                return run

            rows.append(("page: GET /cases?state=all", _median_ms(http("/cases?state=all"), runs)))
            rows.append((f"page: GET /cases?state=all&after=<page {page_no:,}>",
                         _median_ms(http(f"/cases?state=all&after={cursor}"), runs)))
        else:
            click.echo(f"(GET /cases answered {probe.status_code} to the bench session: page timings skipped)")

    click.echo(f"median of {runs} runs (min–max), milliseconds:")
    for label, (med, lo, hi) in rows:
        click.echo(f"  {label:<48} {med:8.1f}   ({lo:.1f}–{hi:.1f})")
    click.echo(f"rerun: .venv/bin/python bench/queue_pages.py --database-url {database_url} --runs {runs} --page {page_no}")


if __name__ == "__main__":
    main()
