"""Outages that lose nothing (issue 8, item 5), through the production stack
(nginx TLS → gunicorn, 2 workers → PostgreSQL, Redis) on a PostgreSQL
cluster of the test's own, since the test stops and restarts it.

1. PostgreSQL stopped: /healthz, the API and the HTML report form answer 503
   with Retry-After; the form comes back with what was typed.
2. Concurrent phones (each its own 127.x.y.z address, an idempotency key
   per report, retries on 502/503/504 and broken connections) while
   PostgreSQL is restarted with ``pg_ctl restart -m immediate`` and a
   gunicorn worker is ``kill -9``ed, twice. Afterwards: no 500 was ever
   seen, every acknowledged receipt opens its report through
   /api/v1/followup, and no idempotency key has two reports.
"""
from __future__ import annotations

import collections
import http.client
import json
import os
import re
import secrets
import signal
import ssl
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.deploy.stack import PostgresCluster, Stack, temporary_base, wait_for

PHONES = 24
REPORTS_PER_PHONE = 3
CLIENT_THREADS = 12
DEADLINE_SECONDS = 90  # bounds the retries of the load phase (about 10 s on an idle 2-core machine)
RETRYABLE = {502, 503, 504}

_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


@dataclass
class Answer:
    status: int | None  # None: the connection broke
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def json(self):
        return json.loads(self.body)


def request(stack: Stack, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            source: str = "127.0.0.1", timeout: float = 30) -> Answer:
    conn = http.client.HTTPSConnection("127.0.0.1", stack.https_port, context=_TLS, timeout=timeout,
                                       source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    except (OSError, http.client.HTTPException):
        return Answer(None)
    finally:
        conn.close()


def post_json(stack: Stack, path: str, payload: dict, source: str = "127.0.0.1") -> Answer:
    return request(stack, "POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"}, source)


def report_body(key: str, n: int) -> dict:
    return {
        "categories": ["assault"] if n % 2 else ["property_destruction", "threats"],
        "occurred_on": (date.today() - timedelta(days=1 + n % 20)).isoformat(),
        "occurred_on_precision": "day",
        "region": "XV0102",
        "narrative": f"Outage test report {n}: soldiers came at night.",
        "language": "en",
        "idempotency_key": key,
    }


@pytest.fixture
def outage_stack(deploy_tools):
    with temporary_base() as base:
        cluster = PostgresCluster(base)
        cluster.start()
        try:
            stack = Stack(cluster.url, base, workers=2)
            stack.migrate()
            with stack:
                yield stack, cluster
        finally:
            cluster.stop("immediate")


def _form_session(stack: Stack) -> tuple[str, str, str]:
    """GET /report over HTTPS: (cookie header, csrf token, idempotency key)."""
    page = request(stack, "GET", "/report?lang=es")
    assert page.status == 200
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    assert "secure" in page.headers["set-cookie"].lower()
    html = page.body.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    return cookie, token, key


def check_database_stopped(stack: Stack, cluster: PostgresCluster) -> None:
    cookie, token, key = _form_session(stack)
    cluster.stop("immediate")
    try:
        health = request(stack, "GET", "/healthz")
        assert health.status == 503 and health.json()["status"] == "unavailable"
        assert health.headers.get("retry-after", "").isdigit()

        api = post_json(stack, "/api/v1/reports", report_body(secrets.token_urlsafe(16), 1))
        assert api.status == 503, api
        assert api.headers.get("retry-after", "").isdigit() and api.json()["error"]

        form = urllib.parse.urlencode({
            "csrf_token": token, "idempotency_key": key, "categories": "assault", "region": "XV0102",
            "occurred_on": (date.today() - timedelta(days=2)).isoformat(), "occurred_on_precision": "day",
            "narrative": "Se llevaron a mi vecino de noche.", "contact_name": "Fatima",
        }).encode()
        page = request(stack, "POST", "/report", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            "Origin": "null", "Sec-Fetch-Site": "same-origin"})
        html = page.body.decode()
        assert page.status == 503, html[:500]
        assert page.headers.get("retry-after", "").isdigit()
        assert "Todo lo que escribió está abajo" in html  # in the reader's language
        assert "Se llevaron a mi vecino de noche." in html and 'value="Fatima"' in html
        assert f'value="{key}"' in html
    finally:
        cluster.start()
    wait_for(lambda: request(stack, "GET", "/healthz").status == 200, 20, "healthz after PostgreSQL is back")


@dataclass
class Tally:
    statuses: collections.Counter = field(default_factory=collections.Counter)
    acknowledged: dict = field(default_factory=dict)  # key → set of receipts
    keys_sent: set = field(default_factory=set)
    unacknowledged: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, answer: Answer) -> None:
        with self.lock:
            self.statuses[answer.status if answer.status is not None else "connection broken"] += 1


def phone(stack: Stack, index: int, tally: Tally, deadline: float) -> None:
    source = f"127.0.{1 + index // 200}.{10 + index % 200}"
    for n in range(REPORTS_PER_PHONE):
        key = secrets.token_urlsafe(18)
        with tally.lock:
            tally.keys_sent.add(key)
        body = report_body(key, index * REPORTS_PER_PHONE + n)
        delay = 0.05
        while True:
            answer = post_json(stack, "/api/v1/reports", body, source)
            tally.count(answer)
            if answer.status in (200, 201):
                receipt = answer.json()["receipt"]
                with tally.lock:
                    tally.acknowledged.setdefault(key, set()).add(receipt)
                break
            if answer.status == 503 and not answer.headers.get("retry-after", "").isdigit():
                tally.problems.append("503 without Retry-After")
            if answer.status is not None and answer.status not in RETRYABLE:
                tally.problems.append(f"HTTP {answer.status}: {answer.body[:200]!r}")
                break
            if time.monotonic() > deadline:
                tally.unacknowledged.append(key)
                break
            time.sleep(delay)  # the client's backoff (Retry-After is advice; phones retry sooner)
            delay = min(delay * 2, 0.8)


def faults(stack: Stack, cluster: PostgresCluster, done: threading.Event, log: list, tally: Tally) -> None:
    """kill -9 a worker, restart PostgreSQL (immediate), kill -9 another, each
    once a share of the reports has been acknowledged: tied to the load's
    progress rather than to the clock, so that a fast machine cannot finish
    the load before the faults it is meant to live through."""
    total = PHONES * REPORTS_PER_PHONE
    plan = [(0.1, "kill -9 worker"), (0.35, "pg_ctl restart -m immediate"), (0.6, "kill -9 worker")]
    start = time.monotonic()
    for share, what in plan:
        while True:
            with tally.lock:
                acknowledged = len(tally.acknowledged)
            if acknowledged >= share * total:
                break
            if done.wait(0.02):
                return
        if what.startswith("kill"):
            workers = stack.gunicorn_workers()
            assert workers, "no gunicorn worker to kill"
            os.kill(workers[0], signal.SIGKILL)
        else:
            cluster.restart_immediate()
        log.append((round(time.monotonic() - start, 2), what))


def test_nothing_acknowledged_is_lost_through_restarts_and_kills(outage_stack):
    stack, cluster = outage_stack
    check_database_stopped(stack, cluster)

    tally, fault_log, done = Tally(), [], threading.Event()
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS
    chaos = threading.Thread(target=faults, args=(stack, cluster, done, fault_log, tally), daemon=True)
    chaos.start()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        for future in [pool.submit(phone, stack, i, tally, deadline) for i in range(PHONES)]:
            future.result()
    done.set()
    chaos.join(30)
    load_seconds = time.monotonic() - started
    wait_for(lambda: request(stack, "GET", "/healthz").status == 200, 20, "healthz after the faults")

    # Every acknowledged receipt opens its report.
    receipts = {key: next(iter(found)) for key, found in tally.acknowledged.items()}
    opened = 0
    for receipt in receipts.values():
        answer = post_json(stack, "/api/v1/followup", {"receipt": receipt})
        for _ in range(30):  # the global budget of receipt hashes for lookups (tracker.intake.limits)
            if answer.status != 429:
                break
            time.sleep(float(answer.headers.get("retry-after", "1")))
            answer = post_json(stack, "/api/v1/followup", {"receipt": receipt})
        tally.count(answer)
        if answer.status == 200 and answer.json()["status"]:
            opened += 1
        else:
            tally.problems.append(f"receipt not found afterwards: HTTP {answer.status}")

    counts = _database_counts(stack, tally.keys_sent)
    figures = {
        "phones": PHONES, "submissions": len(tally.keys_sent), "requests": sum(tally.statuses.values()),
        "statuses": dict(tally.statuses), "acknowledged": len(receipts), "receipts opened": opened,
        "unacknowledged": len(tally.unacknowledged), "reports in database": counts["reports"],
        "load seconds": round(load_seconds, 1), "faults": fault_log,
    }
    print("\noutage figures:", json.dumps(figures, default=str))

    assert [what for _, what in fault_log] == ["kill -9 worker", "pg_ctl restart -m immediate", "kill -9 worker"]
    log = stack.log("gunicorn", 400_000).splitlines()
    errors = [line for i, line in enumerate(log) if "Unhandled" in line or
              (line.startswith("sqlalchemy") or line.startswith("  File \"/work") or "tracker/" in line)][-40:]
    if tally.problems:
        print("\n".join(errors))
    assert tally.problems == [], (tally.problems[:10], figures, errors)
    assert 500 not in tally.statuses, figures
    assert all(len(found) == 1 for found in tally.acknowledged.values()), "a retry got another receipt"
    assert len(receipts) == len(tally.keys_sent) and tally.unacknowledged == [], figures
    assert opened == len(receipts)
    # No idempotency key has two reports: one key row per report, each key
    # row a different report, every sent key known once at most.
    assert counts["reports"] == counts["key rows"] == counts["distinct reports of key rows"], counts
    assert counts["reports"] <= len(tally.keys_sent)
    assert counts["acknowledged keys found"] == len(receipts), counts
    # The faults were felt (otherwise this test proves nothing).
    assert tally.statuses[503] + tally.statuses[502] + tally.statuses["connection broken"] > 0, figures


def _database_counts(stack: Stack, keys: set) -> dict:
    from tracker.extensions import db
    from tracker.intake import services
    from tracker.intake.models import IdempotencyKey, Report

    app = stack.app()
    with app.app_context():
        reports = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        key_rows = db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey))
        distinct = db.session.scalar(sa.select(sa.func.count(sa.distinct(IdempotencyKey.report_id))))
        hashes = [services._key_hash(k) for k in keys]
        found = db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)
                                  .where(IdempotencyKey.key_hash.in_(hashes)))
        db.session.remove()
        db.engine.dispose()
    return {"reports": reports, "key rows": key_rows, "distinct reports of key rows": distinct,
            "acknowledged keys found": found}
