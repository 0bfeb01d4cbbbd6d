"""Peak memory of one worker handling one photo upload (issue 8 item 6).

Each scenario runs in a fresh Python process that builds the app (testing
configuration, SQLite in memory), posts one /report form carrying the
photos through the test client, and prints its peak resident set size
(VmHWM in /proc/self/status), its baseline just before
the upload, the status and how long the upload took. The photos are made
by streaming zlib, so building them costs the parent almost no memory.

    .venv/bin/python bench/photo_memory.py            # every scenario
    .venv/bin/python bench/photo_memory.py png40x5    # one of them

Scenarios: ``png40x5`` five 40-megapixel PNGs (the report of issue 8),
``png12x5`` five PNGs at the whole-decode limit (all accepted),
``jpeg24x5`` five 24-megapixel JPEGs (the per-request budget, all accepted),
``jpeg40x3`` three 40-megapixel JPEGs (the per-photo limit, all accepted).
"""
from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT_MIB = 200


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    """An RGB PNG of ``width`` × ``height`` (a flat colour with a band of
    stripes), compressed row by row: never the whole image in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    flat = b"\x00" + bytes((seed * 40 % 256, 120, 200)) * width
    stripes = b"\x00" + bytes(i % 256 for i in range(width * 3))
    body = []
    for y in range(height):
        body.append(comp.compress(stripes if y % 997 == 0 else flat))
    body.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(body)) + chunk(b"IEND", b"")


def jpeg_bytes(width: int, height: int, seed: int = 0) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (width, height), (seed * 40 % 256, 120, 200))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


SCENARIOS = {
    "png40x5": ("png", 7745, 5164, 5),
    "png12x5": ("png", 4242, 2828, 5),
    "jpeg24x5": ("jpeg", 6000, 4000, 5),
    "jpeg40x3": ("jpeg", 7745, 5164, 3),
}


def peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM). Unlike getrusage's
    ru_maxrss, it is not inherited from the parent across fork and exec."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def run_one(name: str) -> dict:
    """In this process: build the app, upload, report the peak."""
    sys.path.insert(0, ROOT)
    from tracker import create_app
    from tracker.extensions import db

    kind, _width, _height, count = SCENARIOS[name]
    folder = os.environ["PHOTO_BENCH_DIR"]
    paths = [os.path.join(folder, f"{name}-{i}.{kind}") for i in range(count)]
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_ENABLED=False)
    with app.app_context():
        db.create_all()
        from tracker.demo.reference import load_reference_data

        load_reference_data()
        db.session.commit()
        client = app.test_client()
        page = client.get("/report").get_data(as_text=True)
        import re

        def hidden(name: str) -> str:
            m = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
                rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page)
            return m.group(1)

        data = {
            "csrf_token": hidden("csrf_token"), "idempotency_key": hidden("idempotency_key"),
            "categories": ["assault"], "occurred_on": "2026-01-10",
            "occurred_on_precision": "day", "region": "XV0102", "consent_statistics": "y",
            # Files on disk, as a browser's upload: Werkzeug spools large
            # parts to temporary files on the server side too.
            "photos": [(open(path, "rb"), os.path.basename(path)) for path in paths],  # noqa: SIM115 - the client closes them
        }
        import gc
        import time

        gc.collect()
        before = peak_rss_kib()
        started = time.perf_counter()
        resp = client.post("/report", data=data, content_type="multipart/form-data")
        took = time.perf_counter() - started
        peak = peak_rss_kib()
    return {"scenario": name, "status": resp.status_code, "seconds": round(took, 2),
            "baseline_mib": round(before / 1024, 1), "peak_mib": round(peak / 1024, 1)}


def make_files(name: str, folder: str) -> None:
    """Write the scenario's photos (in this process, not the measured one)."""
    kind, width, height, count = SCENARIOS[name]
    data = (png_bytes if kind == "png" else jpeg_bytes)(width, height)
    for i in range(count):  # the same picture each time: the cost is in decoding
        with open(os.path.join(folder, f"{name}-{i}.{kind}"), "wb") as fh:
            fh.write(data)


def measure(name: str) -> dict:
    """Run one scenario in a fresh interpreter and return its figures."""
    with tempfile.TemporaryDirectory() as folder:
        make_files(name, folder)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", name],
                             capture_output=True, text=True, cwd=ROOT, timeout=300, check=True,
                             env={**os.environ, "PHOTO_BENCH_DIR": folder})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(run_one(argv[1])))
        return 0
    names = argv or list(SCENARIOS)
    worst = 0.0
    for name in names:
        r = measure(name)
        worst = max(worst, r["peak_mib"])
        print(f"{r['scenario']:9s} status {r['status']}  peak {r['peak_mib']:6.1f} MiB "
              f"(baseline {r['baseline_mib']:.1f} MiB)  upload {r['seconds']:.2f} s")
    print(f"worst peak {worst:.1f} MiB (limit {LIMIT_MIB} MiB per worker)")
    return 0 if worst < LIMIT_MIB else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
