"""Charts drawn as SVG on the server: readable without JavaScript, mirrored
for right-to-left languages, each with a title and description for screen
readers (the page puts the same figures in a table next to it).

No inline styles (the CSP forbids them): presentation attributes and
classes styled by static/charts.css. Suppressed figures are drawn as a
dashed outline up to K ("somewhere below K"), never as a value.
"""
from __future__ import annotations

import itertools

from markupsafe import Markup, escape

_ids = itertools.count(1)
W = 360  # viewBox width: about a phone's width, so text stays legible


def _x(x: float, w: float, rtl: bool) -> float:
    return W - x - w if rtl else x


def _open(height: float, title: str, desc: str) -> tuple[str, list[str]]:
    n = next(_ids)
    tid, did = f"chart{n}-t", f"chart{n}-d"
    head = (
        f'<svg class="chart" viewBox="0 0 {W} {height:.0f}" role="img" aria-labelledby="{tid} {did}" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return head, []


def bar_chart(items, *, title: str, desc: str, k: int, rtl: bool = False, fewer_label="") -> Markup:
    """Horizontal bars, one per item: ``items`` is [(label, Cell)].
    ``fewer_label``: the text of a hidden bar, or a function of the cell
    giving the text of every bar."""
    items = list(items)
    row_h = 30
    height = max(1, len(items)) * row_h + 6
    head, parts = _open(height, title, desc)
    top = max([c.value or 0 for _, c in items] + [k, 1])
    text_anchor = "end" if rtl else "start"
    for i, (label, cell) in enumerate(items):
        y = 4 + i * row_h
        parts.append(
            f'<text class="chart-label" x="{(W - 2) if rtl else 2}" y="{y + 10}" text-anchor="{text_anchor}">{escape(label)}</text>'
        )
        if cell.value is None:
            w = (k - 1) / top * (W - 60)
            parts.append(f'<rect class="bar-supp" x="{_x(2, w, rtl):.1f}" y="{y + 14}" width="{w:.1f}" height="10"/>')
            value_txt = fewer_label(cell) if callable(fewer_label) else fewer_label
            end = 2 + w
        else:
            w = max(0.0, cell.value / top * (W - 60))
            parts.append(f'<rect class="bar" x="{_x(2, w, rtl):.1f}" y="{y + 14}" width="{w:.1f}" height="10"/>')
            value_txt = fewer_label(cell) if callable(fewer_label) else str(cell.value)
            end = 2 + w
        tx = _x(end + 4, 0, rtl)
        parts.append(f'<text class="chart-value" x="{tx:.1f}" y="{y + 23}" text-anchor="{text_anchor}">{escape(value_txt)}</text>')
    return Markup(head + "".join(parts) + "</svg>")


def column_chart(items, *, title: str, desc: str, k: int, rtl: bool = False) -> Markup:
    """Columns over time (time runs right to left in RTL): [(label, Cell)]."""
    items = list(items)
    height, base, left = 170, 140, 4
    head, parts = _open(height, title, desc)
    top = max([c.value or 0 for _, c in items] + [k, 1])
    n = max(1, len(items))
    slot = (W - 2 * left) / n
    w = max(2.0, slot * 0.7)
    step = max(1, -(-n // 6))  # at most about six labels
    parts.append(f'<line class="axis" x1="0" y1="{base}" x2="{W}" y2="{base}"/>')
    for i, (label, cell) in enumerate(items):
        x = _x(left + i * slot + (slot - w) / 2, w, rtl)
        if cell.value is None:
            h = (k - 1) / top * (base - 20)
            parts.append(f'<rect class="bar-supp" x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}"/>')
        else:
            h = cell.value / top * (base - 20)
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}"/>')
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text class="chart-tick" x="{x + w / 2:.1f}" y="{base + 14}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(f'<text class="chart-value" x="{(W - 2) if rtl else 2}" y="12" text-anchor="{"end" if rtl else "start"}">{top}</text>')
    return Markup(head + "".join(parts) + "</svg>")


def interval_chart(points, *, title: str, desc: str, rtl: bool = False) -> Markup:
    """An index (0–100) per month with its 95 % interval: [(label, Estimate)];
    months without a published figure are left empty."""
    points = list(points)
    height, base, topy, left = 150, 120, 10, 26
    head, parts = _open(height, title, desc)
    n = max(1, len(points))
    slot = (W - left - 6) / n
    step = max(1, -(-n // 6))
    for v in (0, 50, 100):
        y = base - v / 100 * (base - topy)
        x1 = _x(left, W - left - 4, rtl)
        parts.append(f'<line class="grid" x1="{x1:.1f}" y1="{y:.1f}" x2="{x1 + W - left - 4:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart-tick" x="{(W - 2) if rtl else 2}" y="{y + 4:.1f}" text-anchor="{"end" if rtl else "start"}">{v}</text>'
        )
    prev = None
    for i, (label, est) in enumerate(points):
        cx = _x(left + i * slot + slot / 2, 0, rtl)
        if est is not None and est.mean is not None:
            y = base - est.mean / 100 * (base - topy)
            y1 = base - est.high / 100 * (base - topy)
            y2 = base - est.low / 100 * (base - topy)
            if prev is not None:
                parts.append(f'<line class="trend" x1="{prev[0]:.1f}" y1="{prev[1]:.1f}" x2="{cx:.1f}" y2="{y:.1f}"/>')
            parts.append(f'<line class="whisker" x1="{cx:.1f}" y1="{y1:.1f}" x2="{cx:.1f}" y2="{y2:.1f}"/>')
            kind = "point-low" if est.status == "low_confidence" else "point"
            parts.append(f'<circle class="{kind}" cx="{cx:.1f}" cy="{y:.1f}" r="3.5"/>')
            prev = (cx, y)
        else:
            prev = None
        if i % step == 0 or i == n - 1:
            parts.append(f'<text class="chart-tick" x="{cx:.1f}" y="{base + 14}" text-anchor="middle">{escape(label)}</text>')
    return Markup(head + "".join(parts) + "</svg>")
