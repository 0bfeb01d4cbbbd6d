"""Collect, as a user would, every figure the statistics pages publish, with
its meaning (the reports it claims to count), for the adversary in
``tests/metrics/adversary.py``.

The pages are fetched through the Flask test client (a commander of each
force, and anonymously for /transparency) and parsed as a reader sees
them: the CSV export of /trends and the HTML tables of /transparency. The
meaning of a figure is read from the page: the filter setting (force of the
commander, the periods listed, province, category, unit) and the row and
column labels; label → code maps come from the reference data.
"""
from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from itertools import combinations_with_replacement

import sqlalchemy as sa

from tests.metrics.adversary import Figure

HARM_LABELS = {"People killed": "killed", "People injured": "injured", "People detained": "detained",
               "People missing": "missing", "Households displaced": "displaced"}
VICTIM_LABELS = {"Children among victims": "v_children", "Women among victims": "v_women",
                 "Elderly people among victims": "v_elderly", "Persons with disabilities among victims": "v_disability"}
FEWER = re.compile(r"^fewer than (\d+)$")


class Ref:
    """Label → code maps, in English, from the reference tables."""

    def __init__(self, session) -> None:
        from tracker.cases.models import OUTCOMES
        from tracker.intake.models import SEVERITIES
        from tracker.reference.models import CATEGORIES

        self.regions = {}  # name → (level, pcode)
        self.province_of = {}
        for pcode, level, names, parent in session.execute(sa.text(
                "SELECT r.pcode, r.level, r.names, p.pcode FROM region r LEFT JOIN region p ON p.id = r.parent_id")):
            names = names if isinstance(names, dict) else __import__("json").loads(names)
            self.regions[names["en"]] = (level, pcode)
            self.province_of[pcode] = parent
        self.units = {}  # (force code, name) → unit code
        for fcode, ucode, names in session.execute(sa.text(
                "SELECT f.code, u.code, u.names FROM unit u JOIN force f ON f.id = u.force_id")):
            names = names if isinstance(names, dict) else __import__("json").loads(names)
            self.units[(fcode, names["en"])] = ucode
        self.unit_ids = {(f, c): i for i, f, c in session.execute(sa.text(
            "SELECT u.id, f.code, u.code FROM unit u JOIN force f ON f.id = u.force_id"))}
        self.unit_codes = {i: c for (f, c), i in self.unit_ids.items()}
        self.force_codes = dict(session.execute(sa.text("SELECT id, code FROM force")).all())
        self.categories = {str(v): c for c, v in CATEGORIES.items()}
        self.severities = {str(v): c for c, v in SEVERITIES.items()}
        self.outcomes = {str(v): c for c, v in OUTCOMES.items()}


def parse_value(text: str, k: int) -> tuple[int | None, str]:
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text), "exact"
    m = FEWER.match(text)
    if m:
        assert int(m.group(1)) == k, text
        return None, "fewer"
    m = re.fullmatch(r"at least (\d+)", text)
    if m:
        return int(m.group(1)), "atleast"
    return None, "hidden"


# --------------------------------------------------------------------------- settings


def month_pairs(months: list[str]) -> list[tuple[str, str]]:
    """Every (from, to) pair of the months given, from ≤ to."""
    return [(a, b) for a, b in combinations_with_replacement(months, 2)]


def trends_settings(months: list[str], provinces: list[str], categories: list[str], units: list[str]) -> list[dict]:
    """Every from/to pair × grain, with no filter or exactly one of
    province, category, unit (each value offered)."""
    out = []
    for grain in ("month", "week"):
        for a, b in month_pairs(months):
            base = {"grain": grain, "from": a, "to": b}
            out.append(dict(base))
            out += [dict(base, province=p) for p in provinces]
            out += [dict(base, category=c) for c in categories]
            out += [dict(base, unit=u) for u in units]
    return out


# --------------------------------------------------------------------------- /trends CSV


def trends_csv_figures(text: str, query: dict, force: str, ref: Ref, k: int) -> list[Figure]:
    """The figures of one /trends CSV export and what each claims to count."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows and rows[0] == ["Table", "Row", "Value"], rows[:1]
    rows = rows[1:]
    grain = query.get("grain", "month")
    tattr = "week" if grain == "week" else "month"
    periods = [r[1] for r in rows if r[0] == "Reports per period" and r[1] != "Total"]
    base: dict = {"force": [force], tattr: periods}
    if query.get("province"):
        base["province"] = [query["province"]]
    if query.get("category"):
        base["categories"] = [query["category"]]
    unit_code = None
    if query.get("unit"):
        unit_code = next(c for (f, c), i in ref.unit_ids.items() if str(i) == query["unit"])
        base["unit"] = [unit_code]
    qs = "&".join(f"{a}={b}" for a, b in query.items())
    figs = []

    def add(table, row, pred, value_text, measure="reports"):
        value, label = parse_value(value_text, k)
        figs.append(Figure(f"{force} /trends?{qs} [{table} / {row}]", pred, measure, value, label))

    for table, row, value in rows:
        pred = dict(base)
        if table == "Reports per period":
            if row != "Total":
                pred[tattr] = [row]
        elif table == "Reports by region":
            if row != "Total":
                level, pcode = ref.regions[row]
                pred["district" if level == 2 else "province"] = [pcode]
        elif table == "Reports by unit":
            if row != "Total":
                pred["unit"] = [ref.units[(force, row)]] if row != "Unit not known" else [""]
        elif table == "Reports by kind of harm":
            pred["categories"] = [ref.categories[row]]
        elif table == "Reports by severity":
            if row != "Total":
                pred["severity"] = [ref.severities[row]]
        elif table == "Outcomes of resolved cases":
            pred["outcome"] = [ref.outcomes[row]] if row != "Total" else list(ref.outcomes.values())
        elif table == "Harm":
            add(table, row, pred, value, HARM_LABELS[row])
            continue
        elif table == "Victims by unit":
            uname, vlabel = row.rsplit(": ", 1)
            pred["unit"] = [ref.units[(force, uname)]] if uname != "Unit not known" else [""]
            pred[VICTIM_LABELS[vlabel]] = ["yes"]
        else:
            continue  # trust (answers, not reports) and alert text
        if table in ("Reports by region", "Reports by unit", "Reports by severity") and row == "Total":
            pass
        add(table, row, pred, value)
    return figs


# --------------------------------------------------------------------------- HTML tables


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption" and self.tables:
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> list[dict]:
    p = _Tables()
    p.feed(html)
    return p.tables


def transparency_figures(html: str, ref: Ref, k: int) -> list[Figure]:
    """The month × province table of /transparency (every force)."""
    table = next(t for t in html_tables(html) if t["caption"].strip() == "Reports by month and province")
    header, *body = table["rows"]
    provinces = [ref.regions[name][1] for name in header[1:-1]]
    months = [r[0] for r in body if r[0] != "Total"]
    figs = []
    for row in body:
        label, *cells = row
        month = months if label == "Total" else [label]
        for j, text in enumerate(cells):
            pred: dict = {"month": month}
            if j < len(provinces):
                pred["province"] = [provinces[j]]
            value, lab = parse_value(text, k)
            col = header[1 + j]
            figs.append(Figure(f"public /transparency [{label} / {col}]", pred, "reports", value, lab))
    return figs


# --------------------------------------------------------------------------- one scope


def collect_commander(client, force: str, settings: list[dict], ref: Ref, k: int) -> list[Figure]:
    figs = []
    for q in settings:
        resp = client.get("/trends", query_string=dict(q, format="csv"))
        assert resp.status_code == 200, (q, resp.status_code)
        figs += trends_csv_figures(resp.get_data(as_text=True), q, force, ref, k)
    return figs


def collect_public(client, ref: Ref, k: int) -> list[Figure]:
    resp = client.get("/transparency")
    assert resp.status_code == 200
    return transparency_figures(resp.get_data(as_text=True), ref, k)


# --------------------------------------------------------------------------- the release pages (w-stats)
#
# docs/statistics.md: every figure carries scope, table, grain, period, key
# and status (CSV columns, data-* attributes in HTML, HXL columns). The
# meaning below is this test's reading of that document, applied to the
# raw reports by adversary.py.

COUNT_TABLES = ("total", "province", "district", "unit", "severity", "category", "outcome")
STATUS_LABEL = {"published": "exact", "primary": "fewer", "secondary": "hidden", "at_least": "atleast",
                "hidden": "hidden"}


def _weeks_between(a: str, b: str) -> list[str]:
    from datetime import date, timedelta

    def monday(label):
        y, w = label.split("-W")
        return date.fromisocalendar(int(y), int(w), 1)

    out, cur = [], monday(a)
    while cur <= monday(b):
        y, w, _ = cur.isocalendar()
        out.append(f"{y}-W{w:02d}")
        cur += timedelta(weeks=1)
    return out


def _months_between(a: str, b: str) -> list[str]:
    ya, ma = map(int, a.split("-"))
    yb, mb = map(int, b.split("-"))
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(ya * 12 + ma - 1, yb * 12 + mb)]


def cell_meaning(scope: str, table: str, grain: str, period: str, key: str, ref: Ref) -> tuple[dict, str] | None:
    """(predicate, measure) of one release cell, or None for figures that
    do not count reports (durations, survey answers)."""
    pred: dict = {}
    if scope.startswith("force:"):
        fid = int(scope.split(":")[1])
        pred["force"] = [ref.force_codes.get(fid, "")]
    elif scope != "all":
        raise AssertionError(f"unknown scope {scope}")
    a, _, b = period.partition("..")
    b = b or a
    if "-W" in a:
        pred["week"] = _weeks_between(a, b)
    else:
        pred["rmonth"] = _months_between(a, b)
    measure = "reports"
    if table == "total":
        pass
    elif table == "province":
        pred["province"] = [key if key != "-" else ""]
    elif table == "district":
        if key in ref.province_of and ref.province_of[key] and len(key) > 4:
            pred["district"] = [key]
        elif key == "-":
            pred["province"] = [""]
        else:
            pred["province"], pred["district"] = [key], [""]
    elif table == "unit":
        pred["unit"] = [ref.unit_codes[int(key)]] if key != "0" else [""]
    elif table == "severity":
        pred["severity"] = [key]
    elif table == "category":
        pred["categories"] = [key]
    elif table == "outcome":
        if key == "resolved":
            pred["resolved"] = ["yes"]
        else:
            pred["outcome"] = [key]
    elif table == "harm":
        measure = key
    elif table == "harm_province":
        measure, prov = key.split("|")
        pred["province"] = [prov if prov != "-" else ""]
    else:
        return None
    return pred, measure


def _release_figure(src, scope, table, grain, period, key, status, value, ref, k) -> Figure | None:
    meaning = cell_meaning(scope, table, grain, period, key, ref)
    if meaning is None:
        return None
    pred, measure = meaning
    label = STATUS_LABEL[status]
    if measure != "reports" and label == "fewer":
        label = "hidden"  # a primary sum of people says nothing about the count
    v = int(value) if value not in ("", None) else None
    return Figure(f"{src} [{scope} {table} {period} {key}]", pred, measure, v, label)


def release_csv_figures(text: str, src: str, ref: Ref, k: int) -> list[Figure]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    figs = []
    for r in rows:
        if not r.get("table") or r["table"] in ("trust", "alert", "alerts") or not r.get("status"):
            continue
        f = _release_figure(src, r["scope"], r["table"], r["grain"], r["period"], r["key"], r["status"], r["value"],
                            ref, k)
        if f is not None:
            figs.append(f)
    return figs


class _DataCells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-table" in a:
            self.cells.append(a)


def release_html_figures(html: str, src: str, ref: Ref, k: int) -> list[Figure]:
    """Every element with data-table (the figures of a page, alerts and
    "what changed" included)."""
    p = _DataCells()
    p.feed(html)
    figs = []
    for a in p.cells:
        f = _release_figure(src, a.get("data-scope", "all"), a["data-table"], a.get("data-grain", ""),
                            a.get("data-period", ""), a.get("data-key", ""), a.get("data-status", "hidden"),
                            a.get("data-value"), ref, k)
        if f is not None:
            figs.append(f)
    return figs


def hxl_figures(text: str, ref: Ref, k: int) -> list[Figure]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    tags = rows[1]
    idx = {t: i for i, t in enumerate(tags)}
    figs = []
    for r in rows[2:]:
        status = r[idx["#status+reports"]]
        f = _release_figure("public /transparency/hxl", "all", "province", "month", r[idx["#date+month"]],
                            r[idx["#adm1+code"]], status, r[idx["#affected+reports+num"]], ref, k)
        figs.append(f)
    return figs


def release_settings(months: list[str], provinces: list[str], categories: list[str], units: list[str]) -> list[dict]:
    """Every setting /trends accepts (docs/statistics.md): grain month or
    week × every from/to pair of released months × no filter or exactly one
    of province, category (months only), unit."""
    out = []
    for a, b in month_pairs(months):
        for grain in ("month", "week"):
            base = {"grain": grain, "from": a, "to": b}
            out.append(dict(base))
            out += [dict(base, province=p) for p in provinces]
            out += [dict(base, unit=u) for u in units]
            if grain == "month":
                out += [dict(base, category=c) for c in categories]
    return out


def collect_release_commander(client, who: str, settings: list[dict], ref: Ref, k: int) -> list[Figure]:
    figs = []
    for q in settings:
        qs = "&".join(f"{a}={b}" for a, b in q.items())
        resp = client.get("/trends", query_string=dict(q, format="csv"))
        assert resp.status_code == 200, (q, resp.status_code)
        figs += release_csv_figures(resp.get_data(as_text=True), f"{who} /trends?{qs}&format=csv", ref, k)
        resp = client.get("/trends", query_string=q)
        assert resp.status_code == 200, (q, resp.status_code)
        figs += release_html_figures(resp.get_data(as_text=True), f"{who} /trends?{qs}", ref, k)
    return figs


def collect_release_public(client, ref: Ref, k: int) -> list[Figure]:
    resp = client.get("/transparency")
    assert resp.status_code == 200
    figs = release_html_figures(resp.get_data(as_text=True), "public /transparency", ref, k)
    resp = client.get("/transparency/hxl")
    assert resp.status_code == 200
    return figs + hxl_figures(resp.get_data(as_text=True), ref, k)
