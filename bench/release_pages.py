"""Median server time of /trends and /transparency on a database that already
holds a release (bench/release_utility.py --reuse builds one and creates the
commander it signs in as), without rebuilding it:

    .venv/bin/python bench/release_pages.py sqlite:////tmp/bench.db
    .venv/bin/python bench/release_pages.py postgresql+psycopg://postgres@127.0.0.1:55432/bench

Flask test client (server time), 20 requests per page after a warm-up.
"""
import os
import re
import statistics
import sys
import time

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tracker import create_app  # noqa: E402

url = sys.argv[1]
app = create_app("development", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)
c = app.test_client()
html = c.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
r = c.post("/login", data={"csrf_token": token, "email": "bench-release@example.org", "password": "bench password for the commander 1"})
assert r.status_code == 302
anon = app.test_client()
print(f"load average {os.getloadavg()[0]:.1f}")
PAGES = (("/trends", c), ("/trends?grain=week", c), ("/trends?province=XV03", c),
         ("/transparency", anon), ("/transparency/hxl", anon))
for path, cl in PAGES:
    cl.get(path)
    ts = []
    for _ in range(20):
        t = time.perf_counter()
        resp = cl.get(path)
        ts.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (path, resp.status_code)
    print(f"  {path:<28} median {statistics.median(ts):6.1f} ms   p95 {sorted(ts)[18]:6.1f} ms")
