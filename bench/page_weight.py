"""What the phone really downloads: bytes on the wire, measured in Chromium.

Starts the site as ``make run`` does (``flask db upgrade``, ``flask demo
--if-empty``, ``flask run``; here on a temporary SQLite file and a free port,
development configuration), then opens each page in headless Chromium at
360×740 with the language as the browser's, in a fresh profile. Every
response's transfer size is read from the DevTools protocol
(``Network.loadingFinished.encodedDataLength``: the compressed body plus the
response headers, as they crossed the socket). A *first visit* starts with an
empty cache; a *repeat visit* opens the same page again in the same profile
(assets come from the cache, the page itself is ``no-store``).

Budget (issue 9, item 1): /report ≤ 15 KB first visit, ≤ 8 KB repeat, in
every language of ``Config.LANGUAGES``; no web fonts, nothing from another
origin.

    .venv/bin/python bench/page_weight.py            # or: make bench
    .venv/bin/python bench/page_weight.py --demo-reports 300 /report /followup /
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRST_BUDGET = 15 * 1024
REPEAT_BUDGET = 8 * 1024
BUDGETED_PAGES = {"/report"}
DEFAULT_PAGES = ["/report", "/", "/followup", "/pulse", "/transparency"]
FONT_SUFFIXES = (".woff", ".woff2", ".ttf", ".otf", ".eot")
CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 740}, "screen": {"width": 360, "height": 740},
         "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
RERUN = "make bench   (or: .venv/bin/python bench/page_weight.py)"


@dataclass
class Transfer:
    url: str
    status: int
    bytes: int  # encodedDataLength: headers + body as received
    encoding: str
    cached: bool


@dataclass
class Visit:
    path: str
    lang: str
    transfers: list[Transfer] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    fonts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(t.bytes for t in self.transfers)

    @property
    def status(self) -> int:
        return self.transfers[0].status if self.transfers else 0


def languages() -> list[str]:
    """Every language the site ships (Config.LANGUAGES)."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from config import Config

    return list(Config.LANGUAGES)


def _local(url: str, base_url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or url.startswith(base_url)


def _visit(page, cdp, base_url: str, path: str, lang: str) -> Visit:
    """Load ``path`` and record every network transfer until the page is idle."""
    visit = Visit(path, lang)
    responses: dict[str, dict] = {}
    finished: dict[str, int] = {}
    urls: dict[str, str] = {}

    def on_request(ev):
        urls[ev["requestId"]] = ev["request"]["url"]

    def on_response(ev):
        responses[ev["requestId"]] = ev["response"]

    def on_finished(ev):
        finished[ev["requestId"]] = int(ev["encodedDataLength"])

    def on_failed(ev):
        finished.setdefault(ev["requestId"], 0)

    cdp.on("Network.requestWillBeSent", on_request)
    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.on("Network.loadingFailed", on_failed)
    try:
        page.goto(base_url + path, wait_until="networkidle")
        deadline = time.monotonic() + 5
        while set(urls) - set(finished) and time.monotonic() < deadline:
            page.wait_for_timeout(50)
    finally:
        for name, fn in (("Network.requestWillBeSent", on_request), ("Network.responseReceived", on_response),
                         ("Network.loadingFinished", on_finished), ("Network.loadingFailed", on_failed)):
            cdp.remove_listener(name, fn)
    for request_id, url in urls.items():
        if urlsplit(url).scheme in ("data", "blob", "about"):
            continue  # nothing crosses the network
        if not _local(url, base_url):
            visit.external.append(url)
        if urlsplit(url).path.lower().endswith(FONT_SUFFIXES):
            visit.fonts.append(url)
        response = responses.get(request_id, {})
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        visit.transfers.append(Transfer(
            url=url,
            status=int(response.get("status") or 0),
            bytes=finished.get(request_id, 0),
            encoding=headers.get("content-encoding", ""),
            cached=bool(response.get("fromDiskCache") or response.get("fromPrefetchCache")),
        ))
    return visit


def measure_page(browser, base_url: str, path: str, lang: str) -> tuple[Visit, Visit]:
    """First and repeat visit of ``path`` by a phone whose browser speaks ``lang``."""
    context = browser.new_context(**PHONE, locale=lang)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        first = _visit(page, cdp, base_url, path, lang)
        repeat = _visit(page, cdp, base_url, path, lang)
        # Fonts requested from CSS would show as transfers; also ask the page.
        faces = page.evaluate("() => document.fonts ? document.fonts.size : 0")
        if faces:
            first.fonts.append(f"{faces} @font-face rule(s)")
        return first, repeat
    finally:
        context.close()


# --------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MakeRunServer:
    """The site as ``make run`` serves it, on a temporary database."""

    def __init__(self, demo_reports: int = 300) -> None:
        self.tmp = tempfile.mkdtemp(prefix="tracker-weight-")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.demo_reports = demo_reports
        self.proc: subprocess.Popen | None = None
        self.env = {**os.environ, "TRACKER_CONFIG": "development",
                    "DATABASE_URL": "sqlite:///" + os.path.join(self.tmp, "tracker.db")}
        self.flask = [sys.executable, "-m", "flask", "--app", "tracker"]

    def __enter__(self) -> MakeRunServer:
        for args in (["db", "upgrade"], ["demo", "--if-empty", "--reports", str(self.demo_reports)]):
            subprocess.run(self.flask + args, cwd=ROOT, env=self.env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = open(os.path.join(self.tmp, "server.log"), "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(self.flask + ["run", "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _kb(n: int) -> str:
    return f"{n / 1024:5.1f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", default=DEFAULT_PAGES)
    parser.add_argument("--demo-reports", type=int, default=300, help="synthetic reports `flask demo` loads")
    parser.add_argument("--detail", action="store_true", help="one line per transfer")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    failed = False
    langs = languages()
    print("Transfer in Chromium (360 px, fresh profile; headers + compressed bodies, from DevTools "
          f"encodedDataLength); budget for {', '.join(sorted(BUDGETED_PAGES))}: first ≤ {_kb(FIRST_BUDGET).strip()}, "
          f"repeat ≤ {_kb(REPEAT_BUDGET).strip()}")
    with MakeRunServer(args.demo_reports) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, chromium_sandbox=False,
                                     args=CHROMIUM_ARGS)
        try:
            print(f"{'page':<14} {'lang':<6} {'first':>9} {'req':>4} {'repeat':>9} {'req':>4}  verdict")
            for path in args.pages:
                for lang in langs:
                    first, repeat = measure_page(browser, server.base_url, path, lang)
                    verdict = "ok"
                    if first.status != 200:
                        verdict = f"HTTP {first.status}"
                    elif path in BUDGETED_PAGES and (first.total > FIRST_BUDGET or repeat.total > REPEAT_BUDGET):
                        verdict = "OVER BUDGET"
                    if first.external or repeat.external:
                        verdict = "EXTERNAL: " + ", ".join(first.external + repeat.external)
                    if first.fonts:
                        verdict = "WEB FONTS: " + ", ".join(first.fonts)
                    failed |= verdict != "ok" and path in BUDGETED_PAGES or verdict.startswith(("EXT", "WEB"))
                    fetched = [t for t in repeat.transfers if t.bytes]
                    print(f"{path:<14} {lang:<6} {_kb(first.total):>9} {len(first.transfers):>4} "
                          f"{_kb(repeat.total):>9} {len(fetched):>4}  {verdict}")
                    if args.detail:
                        for label, visit in (("first", first), ("repeat", repeat)):
                            for t in visit.transfers:
                                print(f"    {label:<6} {t.bytes:>6} B  {t.encoding or 'identity':<8} "
                                      f"{urlsplit(t.url).path}")
        finally:
            browser.close()
    print(f"\nRerun: {RERUN}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
