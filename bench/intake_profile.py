"""Where a report's CPU goes, in one process (issue 8, item 7: "profile first").

Files reports through the real application (production configuration and
receipt-hash parameters, the given database) with Flask's test client, under
cProfile, through the JSON API (POST /api/v1/reports) or the HTML form's final
step (POST /report, nav=send; the GET that gives the form is not counted).
Prints the CPU per report, the CPU of its receipt hash(es), and the functions
where the rest goes.

    .venv/bin/python bench/intake_profile.py                      # API, SQLite
    .venv/bin/python bench/intake_profile.py --kind form
    .venv/bin/python bench/intake_profile.py --database-url postgresql+psycopg://postgres@127.0.0.1:55432/bench

The PostgreSQL database is emptied (every table dropped) first: give a bench
database, never one with data you want.

cProfile runs on CPU time (the machine may be shared) and inflates Python-heavy
code about threefold: read its listing as shares; the milliseconds of the
first line are true only with --no-profile.
Under gunicorn, sample the workers while bench/intake_load.py runs:

    .venv/bin/py-spy record --pid <gunicorn master> --subprocesses --format raw -o spy.txt
"""
from __future__ import annotations

import argparse
import base64
import cProfile
import io
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]
sys.path.insert(0, ROOT)
sys.path.insert(0, _BENCH)  # for intake_load's payload (imported by name below)


def _form_fields(page: str) -> dict:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)
    return {
        "csrf_token": token, "idempotency_key": key, "step": "6", "nav": "send",
        "categories": ["assault", "property_destruction"], "narrative": "Soldiers came at night and beat two men "
        "near the market; one needed stitches.", "occurred_on": "2026-11-20", "occurred_on_precision": "day",
        "part_of_day": "night", "region": "XV0101", "place_description": "Near the market", "latitude": "12.3456",
        "longitude": "-71.9876", "force": "ARMY", "unit": "BDE4", "unit_description": "Green trucks",
        "operation": "OP-CLEAN-RIVER", "harm_injured": "2", "property_damaged": "y", "victims_women": "y",
        "relationship": "witness", "needs": ["medical"], "consent_contact": "y", "consent_statistics": "y",
        "contact_name": "Amina", "contact_phone": "+000 555 0101", "contact_safe_times": "Evenings",
        "pulse_respect": "2", "pulse_voice": "3", "pulse_fairness": "2", "pulse_safe_to_report": "1",
        "pulse_safety": "2",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    ap.add_argument("--kind", choices=["api", "form"], default="api")
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", default="tottime", help="pstats sort key for the listing (tottime, cumulative)")
    ap.add_argument("--no-profile", action="store_true", help="time only (cProfile adds its own overhead)")
    ap.add_argument("--dump", help="also write the profile to this file (pstats format)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="tracker-intake-profile-")
    os.environ.update({
        "TRACKER_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKER_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "TRACKER_RECEIPT_PEPPER": secrets.token_urlsafe(32),
        "DATABASE_URL": args.database_url or "sqlite:///" + os.path.join(tmp, "tracker.db"),
    })
    os.environ.pop("REDIS_URL", None)
    from intake_load import _payload

    import tracker.intake.receipts as receipts
    from tracker import create_app
    from tracker.demo.reference import load_reference_data
    from tracker.extensions import db

    app = create_app("production", SESSION_COOKIE_SECURE=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_data()
        db.session.commit()

    hash_cpu = [0.0, 0]
    real_hash = receipts.receipt_hash

    def timed_hash(digits):
        t = time.thread_time()
        try:
            return real_hash(digits)
        finally:
            hash_cpu[0] += time.thread_time() - t
            hash_cpu[1] += 1

    receipts.receipt_hash = timed_hash
    client = app.test_client()
    n = [0]

    def address() -> dict:
        n[0] += 1
        return {"REMOTE_ADDR": f"127.3.{(n[0] // 250) % 250}.{n[0] % 250 + 1}"}

    def prepare():
        if args.kind == "api":
            body = _payload()
            body["idempotency_key"] = uuid.uuid4().hex
            return body
        page = client.get("/report", environ_base=address()).get_data(as_text=True)
        return _form_fields(page)

    def send(body):
        if args.kind == "api":
            resp = client.post("/api/v1/reports", json=body, environ_base=address())
            assert resp.status_code == 201, (resp.status_code, resp.get_data(as_text=True)[:500])
        else:
            resp = client.post("/report", data=body, content_type="multipart/form-data", environ_base=address())
            assert resp.status_code == 302, (resp.status_code, resp.get_data(as_text=True)[:2000])

    for _ in range(10):  # warm up: imports, catalogues, first queries
        send(prepare())
    hash_cpu[:] = [0.0, 0]

    bodies = [prepare() for _ in range(args.reports)] if args.kind == "api" else None
    # CPU time, not wall time: the machine is shared, and waits on the database are not our CPU.
    profiler = None if args.no_profile else cProfile.Profile(time.thread_time)
    cpu = 0.0
    wall0 = time.perf_counter()
    for i in range(args.reports):
        body = bodies[i] if bodies is not None else prepare()
        t = time.thread_time()
        if profiler is not None:
            profiler.enable()
        send(body)
        if profiler is not None:
            profiler.disable()
        cpu += time.thread_time() - t
    wall = time.perf_counter() - wall0

    db_kind = os.environ["DATABASE_URL"].split(":", 1)[0]
    per = 1000 * cpu / args.reports
    per_hash = 1000 * hash_cpu[0] / args.reports
    print(f"{args.kind} on {db_kind}: {args.reports} reports, CPU per report {per:.1f} ms "
          f"(of which receipt hash {per_hash:.1f} ms in {hash_cpu[1] / args.reports:.2f} hashes; "
          f"other {per - per_hash:.1f} ms); hash/report {per_hash / per:.2f}"
          f"{' (under cProfile)' if profiler is not None else ''}; wall {wall:.1f} s")
    if profiler is not None:
        if args.dump:
            profiler.dump_stats(args.dump)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
