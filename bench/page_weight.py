"""How heavy the reporter's pages are over the wire.

Serves the app in-process (Flask test client, demo data on a temporary SQLite
file), fetches each page and every stylesheet, script, image and CSS url() it
references, and gzips each resource (level 6, what nginx and most servers
send) to measure the bytes a phone downloads. HTTP headers are not counted.
Budget (issue 2, item 11): 30 KB compressed per page with its CSS and JS, no
web fonts, nothing from another origin.

    .venv/bin/python bench/page_weight.py            # or: make bench
    .venv/bin/python bench/page_weight.py --reports 2000 /report /transparency
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

BUDGET = 30 * 1024
DEFAULT_PAGES = ["/report", "/transparency", "/", "/followup", "/pulse"]
LANGUAGES = ["en", "ar"]
FONT_SUFFIXES = (".woff", ".woff2", ".ttf", ".otf", ".eot")
RERUN = "make bench   (or: .venv/bin/python bench/page_weight.py)"


class _Resources(HTMLParser):
    """Collect what a browser would download to render the page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"} & set(rel):
                self.urls.append(a["href"])
        elif tag in ("script", "img", "iframe", "embed", "source", "audio", "video", "track", "input") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        elif tag == "image" and (a.get("href") or a.get("xlink:href")):  # SVG
            self.urls.append(a.get("href") or a.get("xlink:href"))
        if a.get("srcset"):
            self.urls += [part.strip().split()[0] for part in a["srcset"].split(",") if part.strip()]


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


@dataclass
class Resource:
    url: str
    kind: str
    raw: int
    gzipped: int


@dataclass
class PageWeight:
    path: str
    lang: str
    status: int
    resources: list[Resource] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    fonts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.gzipped for r in self.resources)

    @property
    def total_raw(self) -> int:
        return sum(r.raw for r in self.resources)


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data")


def measure(client, path: str, lang: str | None = None) -> PageWeight:
    """Fetch ``path`` and everything it references with a Flask test client."""
    url = f"{path}{'&' if '?' in path else '?'}lang={lang}" if lang else path
    with client.get(url) as resp:
        page = PageWeight(path, lang or "", resp.status_code)
        html = resp.get_data()
    page.resources.append(Resource(url, "html", len(html), gzip_size(html)))
    parser = _Resources()
    parser.feed(html.decode("utf-8", "replace"))
    queue = [(urljoin(path, u), "html") for u in parser.urls]
    seen = set()
    while queue:
        ref, _origin = queue.pop(0)
        if ref in seen or ref.startswith("data:"):
            continue
        seen.add(ref)
        if _is_external(ref):
            page.external.append(ref)
            continue
        target = urlsplit(ref)
        if target.path.lower().endswith(FONT_SUFFIXES):
            page.fonts.append(ref)
        with client.get(target.path + (f"?{target.query}" if target.query else "")) as asset:
            body = asset.get_data()
        kind = target.path.rsplit(".", 1)[-1].lower() if "." in target.path else "other"
        page.resources.append(Resource(ref, kind, len(body), gzip_size(body)))
        if kind == "css":
            text = body.decode("utf-8", "replace")
            if "@font-face" in text:
                page.fonts.append(f"{ref} (@font-face)")
            for match in CSS_URL.finditer(text):
                inner = match.group(1) or match.group(2)
                if not inner.startswith("data:"):
                    queue.append((urljoin(target.path, inner), "css"))
    return page


def demo_client(reports: int = 300):
    """A test client on a temporary SQLite file with reference and demo data."""
    from tracker import create_app
    from tracker.extensions import db

    tmp = tempfile.mkdtemp(prefix="tracker-weight-")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(tmp, 'weight.db')}",
                     RATELIMIT_ENABLED=False)
    with app.app_context():
        db.create_all()
        from tracker.demo.reference import load_reference_data

        load_reference_data()
        db.session.commit()
        if reports:
            result = app.test_cli_runner().invoke(args=["demo", "--reports", str(reports), "--seed", "1"])
            if result.exit_code != 0:
                print(f"(demo data not loaded: {result.output.strip()[-200:]})", file=sys.stderr)
            # Trend and transparency pages read rollups.
            if "rollup" in app.cli.commands:
                app.test_cli_runner().invoke(args=["rollup"])
        db.session.remove()
    return app, app.test_client()


def _kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", default=DEFAULT_PAGES)
    parser.add_argument("--reports", type=int, default=300, help="synthetic demo reports to load first")
    parser.add_argument("--budget-kb", type=float, default=BUDGET / 1024)
    args = parser.parse_args(argv)
    budget = int(args.budget_kb * 1024)

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    app, client = demo_client(args.reports)
    failed = False
    print(f"Page weight over the wire (gzip -6 per resource, headers not counted); budget {_kb(budget).strip()}")
    print(f"{'page':<16} {'lang':<4} {'resource':<28} {'raw':>10} {'gzip':>10}")
    for path in args.pages:
        for lang in LANGUAGES:
            with app.app_context():
                page = measure(client, path, lang)
            if page.status != 200:
                print(f"{path:<16} {lang:<4} (HTTP {page.status}, not measured)")
                continue
            for r in page.resources:
                name = urlsplit(r.url).path if r.kind != "html" else "(HTML)"
                print(f"{path:<16} {lang:<4} {name:<28} {_kb(r.raw):>10} {_kb(r.gzipped):>10}")
            verdict = "ok" if page.total <= budget and not page.external and not page.fonts else "OVER BUDGET"
            if page.external:
                verdict = "EXTERNAL: " + ", ".join(page.external)
            if page.fonts:
                verdict = "WEB FONTS: " + ", ".join(page.fonts)
            failed |= verdict != "ok"
            print(f"{path:<16} {lang:<4} {'= total':<28} {_kb(page.total_raw):>10} {_kb(page.total):>10}  {verdict}")
    print(f"\nRerun: {RERUN}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
