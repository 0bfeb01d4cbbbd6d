"""District and province maps drawn from boundaries the admin uploads
(DESIGN §3 and §6: no one else's tiles, no outside request).

- ``parse_boundaries(data)`` checks an uploaded GeoJSON FeatureCollection
  (P-codes that exist, Polygon/MultiPolygon, size limits) and simplifies it;
  ``store_boundaries(parsed)`` replaces the stored outlines of those regions.
- ``district_map(lang)``: the report form's "where" map, an inline SVG whose
  district paths carry ``data-pcode`` and whose ``data-proj`` lets report.js
  place a GPS position on it (x = (lon − lon0)·sx, y = (lat0 − lat)·sy).
- ``province_map(figures, ...)``: the transparency page's map, provinces
  coloured by published figures; a hidden figure gets a neutral hatch.

SVGs are small (integer coordinates, Douglas–Peucker simplification) and use
presentation attributes and CSS classes only (the CSP forbids inline styles).
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from tracker.core.db import utcnow
from tracker.core.i18n import localized
from tracker.extensions import db
from tracker.reference.models import Region, RegionBoundary

MAX_BOUNDARY_BYTES = 10 * 1024 * 1024
MAX_FEATURES = 2000
MAX_INPUT_VERTICES = 2_000_000
MAX_STORED_VERTICES = 2000  # per region, after simplification
STORE_TOLERANCE = 0.002  # degrees (~200 m): finer than any map we draw
MAP_WIDTH = 400
SEA = ' class="sea"'
PCODE_KEYS = ("pcode", "PCODE", "p_code", "P_CODE", "ADM2_PCODE", "ADM1_PCODE", "ADM0_PCODE", "admin2Pcode",
              "admin1Pcode", "admin0Pcode")


class BoundaryError(ValueError):
    """An uploaded boundary file that cannot be used; ``message`` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --------------------------------------------------------------- geometry
def _perpendicular(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(points: Sequence, tolerance: float) -> list:
    """Douglas–Peucker on an open polyline (iterative: rings can be long)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        far, index = 0.0, None
        for i in range(first + 1, last):
            d = _perpendicular(points[i], points[first], points[last])
            if d > far:
                far, index = d, i
        if index is not None and far > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=False) if k]


def simplify_ring(ring: Sequence, tolerance: float) -> list | None:
    """A closed ring simplified (split in two so that its ends stay put);
    None when too little is left to enclose anything."""
    if ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        return None
    half = len(ring) // 2
    out = simplify(ring[: half + 1], tolerance)[:-1] + simplify(list(ring[half:]) + [ring[0]], tolerance)[:-1]
    return out if len(out) >= 3 else None


def _position(value) -> tuple[float, float]:
    if not (isinstance(value, (list, tuple)) and len(value) >= 2):
        raise BoundaryError(_l("A coordinate is not a pair of numbers."))
    lon, lat = value[0], value[1]
    if isinstance(lon, bool) or isinstance(lat, bool) or not all(isinstance(v, (int, float)) for v in (lon, lat)):
        raise BoundaryError(_l("A coordinate is not a pair of numbers."))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not (math.isfinite(lon) and math.isfinite(lat)):
        raise BoundaryError(_l("A coordinate is outside the earth (longitude −180…180, latitude −90…90)."))
    return float(lon), float(lat)


def _polygons(geometry) -> list:
    """GeoJSON Polygon/MultiPolygon → list of polygons (lists of rings of (lon, lat))."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryError(_l("Only Polygon and MultiPolygon geometries can be used."))
    coords = geometry.get("coordinates")
    polys = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polys, list) or not polys:
        raise BoundaryError(_l("A geometry has no coordinates."))
    out = []
    for poly in polys:
        if not isinstance(poly, list) or not poly:
            raise BoundaryError(_l("A geometry has no coordinates."))
        rings = []
        for ring in poly:
            if not isinstance(ring, list) or len(ring) < 4:
                raise BoundaryError(_l("A polygon ring needs at least four positions."))
            rings.append([_position(p) for p in ring])
        out.append(rings)
    return out


def _simplified(polygons: list, tolerance: float) -> tuple[list, int]:
    out, count = [], 0
    for poly in polygons:
        rings = []
        for i, ring in enumerate(poly):
            kept = simplify_ring(ring, tolerance)
            if kept is None:
                if i == 0:
                    break  # the outer ring vanished: so does the polygon
                continue
            rings.append([[round(x, 4), round(y, 4)] for x, y in kept])
            count += len(kept)
        if rings:
            out.append(rings)
    return out, count


@dataclass
class ParsedBoundary:
    region_id: int
    pcode: str
    polygons: list
    vertices: int


def parse_boundaries(data: bytes) -> list[ParsedBoundary]:
    """Check a GeoJSON FeatureCollection keyed by P-code and simplify it.
    Everything is checked before anything is returned: one bad feature and
    nothing is loaded. Raises BoundaryError with a message for the admin."""
    if len(data) > MAX_BOUNDARY_BYTES:
        raise BoundaryError(_l("The file is too large (at most 10 MB)."))
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BoundaryError(_l("The file is not GeoJSON (JSON in UTF-8).")) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise BoundaryError(_l("The file must be a GeoJSON FeatureCollection."))
    features = doc["features"]
    if not features:
        raise BoundaryError(_l("The file has no features."))
    if len(features) > MAX_FEATURES:
        raise BoundaryError(_l("Too many features (at most %(n)s).", n=MAX_FEATURES))
    known = dict(db.session.execute(sa.select(Region.pcode, Region.id)).all())
    seen: set[str] = set()
    unknown: list[str] = []
    parsed: list[ParsedBoundary] = []
    total = 0
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        pcode = next((str(props[k]).strip() for k in PCODE_KEYS if isinstance(props, dict) and props.get(k)), "")
        if not pcode:
            raise BoundaryError(_l("Feature %(n)s has no P-code (a property named pcode).", n=n))
        if pcode in seen:
            raise BoundaryError(_l("The P-code %(pcode)s appears twice.", pcode=pcode))
        seen.add(pcode)
        if pcode not in known:
            unknown.append(pcode)
            continue
        try:
            polygons = _polygons(feature.get("geometry"))
        except BoundaryError as exc:
            raise BoundaryError(_l("Feature %(pcode)s: %(problem)s", pcode=pcode, problem=exc.message)) from exc
        total += sum(len(r) for p in polygons for r in p)
        if total > MAX_INPUT_VERTICES:
            raise BoundaryError(_l("The file has too many points (at most %(n)s).", n=MAX_INPUT_VERTICES))
        tolerance = STORE_TOLERANCE
        simple, count = _simplified(polygons, tolerance)
        while count > MAX_STORED_VERTICES:
            tolerance *= 2
            simple, count = _simplified(polygons, tolerance)
        if not simple:
            raise BoundaryError(_l("Feature %(pcode)s is too small to draw.", pcode=pcode))
        parsed.append(ParsedBoundary(known[pcode], pcode, simple, count))
    if unknown:
        raise BoundaryError(_l("These P-codes are not known regions: %(codes)s. Upload the regions first.",
                               codes=", ".join(unknown[:10])))
    return parsed


def store_boundaries(parsed: Iterable[ParsedBoundary]) -> int:
    """Replace the stored outlines of the given regions (flush, no commit)."""
    count = 0
    now = utcnow()
    for item in parsed:
        row = db.session.get(RegionBoundary, item.region_id)
        if row is None:
            row = RegionBoundary(region_id=item.region_id)
            db.session.add(row)
        row.polygons, row.vertices, row.updated_at = item.polygons, item.vertices, now
        count += 1
    db.session.flush()
    _CACHE.clear()
    return count


# --------------------------------------------------------------- drawing
@dataclass
class Shape:
    pcode: str
    name: str
    kind: str
    parent_pcode: str | None
    polygons: list


def _shapes(level: int, lang: str | None) -> list[Shape]:
    rows = db.session.execute(
        sa.select(Region, RegionBoundary.polygons)
        .join(RegionBoundary, RegionBoundary.region_id == Region.id)
        .where(Region.level == level)
        .order_by(Region.pcode)
    ).all()
    return [
        Shape(r.pcode, localized(r.names, lang), r.kind, r.parent.pcode if r.parent else None, polys)
        for r, polys in rows
    ]


@dataclass
class Projection:
    lon0: float
    lat0: float
    sx: float
    sy: float
    width: int
    height: int

    def __call__(self, lon: float, lat: float) -> tuple[int, int]:
        return round((lon - self.lon0) * self.sx), round((self.lat0 - lat) * self.sy)


def projection_for(shapes: Sequence[Shape], width: int = MAP_WIDTH) -> Projection:
    """Equirectangular, scaled by the cosine of the middle latitude, fitted to ``width``."""
    xs = [x for s in shapes for p in s.polygons for r in p for x, _y in r]
    ys = [y for s in shapes for p in s.polygons for r in p for _x, y in r]
    lon0, lon1, lat0, lat1 = min(xs), max(xs), min(ys), max(ys)
    squeeze = math.cos(math.radians((lat0 + lat1) / 2)) or 1.0
    span = max(lon1 - lon0, 1e-6) * squeeze
    sy = width / span
    sx = sy * squeeze
    pad = 2
    return Projection(lon0 - pad / sx, lat1 + pad / sy, sx, sy, width + 2 * pad,
                      round((lat1 - lat0) * sy) + 2 * pad)


def path_data(polygons: list, project: Projection) -> str:
    """``M x y x y …Z`` per ring, integer coordinates, repeated points dropped."""
    parts = []
    for poly in polygons:
        for ring in poly:
            points = []
            for lon, lat in ring:
                p = project(lon, lat)
                if not points or points[-1] != p:
                    points.append(p)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()
            if len(points) >= 3:
                points = simplify(points + [points[0]], 0.6)[:-1] or points
            if len(points) >= 3:
                parts.append("M" + " ".join(f"{x} {y}" for x, y in points) + "Z")
    return "".join(parts)


_CACHE: dict = {}


def _version() -> tuple:
    return tuple(db.session.execute(
        sa.select(sa.func.count(), sa.func.max(RegionBoundary.updated_at)).select_from(RegionBoundary)
    ).one())


def district_map_version() -> str | None:
    """A short tag that changes whenever the stored outlines change (None: no outlines)."""
    count, latest = _version()
    if not count:
        return None
    return hashlib.sha256(f"{count}|{latest}".encode()).hexdigest()[:12]


def district_map() -> Markup | None:
    """The report form's district map (None when no district outline is stored):
    paths carry ``data-pcode``; no names, so one map serves every language.
    Hidden from assistive technology: the region <select> is the control."""
    key = ("districts", _version())
    if key in _CACHE:
        return _CACHE[key]
    shapes = _shapes(2, None)
    svg = None
    if shapes:
        proj = projection_for(shapes)
        paths = "".join(
            f'<path d="{path_data(s.polygons, proj)}" data-pcode="{escape(s.pcode)}"'
            f'{SEA if s.kind == "maritime" else ""}/>'
            for s in shapes
        )
        svg = Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {proj.width} {proj.height}" aria-hidden="true" '
            f'focusable="false" data-proj="{proj.lon0:.5f} {proj.lat0:.5f} {proj.sx:.5f} {proj.sy:.5f}">{paths}</svg>'
        )
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = svg
    return svg


# Sequential blues, light to dark, readable against white and with black text.
SHADES = ("#eef4fb", "#c6dbef", "#6baed6", "#2171b5")


@dataclass
class MapFigure:
    """One province's published figure: ``value`` None when it is hidden."""

    pcode: str
    value: int | None
    label: str = ""


def _bins(values: list[int]) -> list[int]:
    """Upper bounds of three bins above zero, from the published values only."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    top = positive[-1]
    cuts = sorted({max(1, math.ceil(top * f)) for f in (1 / 3, 2 / 3, 1)})
    return cuts


def province_map(figures: Sequence[MapFigure], *, title: str, hidden_label: str, lang: str | None,
                 legend_format=str) -> dict | None:
    """The transparency page's province map: each province coloured by its
    published figure, hidden figures hatched. Returns {"svg", "legend"} for
    the template (legend: [(css swatch class, text)]), or None without outlines.
    Provinces without their own outline are drawn from their districts'."""
    by_pcode = {f.pcode: f for f in figures}
    provinces = {s.pcode: s for s in _shapes(1, lang)}
    districts = _shapes(2, lang)
    shapes: list[tuple[str, Shape]] = []
    for pcode in by_pcode:
        if pcode in provinces:
            shapes.append((pcode, provinces[pcode]))
        else:
            shapes += [(pcode, d) for d in districts if d.parent_pcode == pcode]
    if not shapes:
        return None
    proj = projection_for([s for _p, s in shapes])
    cuts = _bins([f.value for f in figures if f.value is not None])

    def shade(value: int) -> int:
        if value <= 0 or not cuts:
            return 0
        return 1 + next(i for i, c in enumerate(cuts) if value <= c)

    body = []
    for pcode, s in shapes:
        figure = by_pcode[pcode]
        fill = "url(#map-hidden)" if figure.value is None else SHADES[min(shade(figure.value), len(SHADES) - 1)]
        text = f"{s.name if pcode == s.pcode else figure.label}: {hidden_label if figure.value is None else figure.value}"
        body.append(f'<path d="{path_data(s.polygons, proj)}" fill="{fill}" stroke="#555" stroke-width="1" '
                    f'data-pcode="{escape(pcode)}"><title>{escape(text)}</title></path>')
    svg = Markup(
        f'<svg viewBox="0 0 {proj.width} {proj.height}" class="province-map" role="img" aria-label="{escape(title)}">'
        '<defs><pattern id="map-hidden" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f3f3"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="2"/></pattern></defs>'
        + "".join(body) + "</svg>"
    )
    legend = [("map-0", legend_format(0))]
    low = 1
    for i, cut in enumerate(cuts):
        legend.append((f"map-{min(i + 1, len(SHADES) - 1)}",
                       legend_format(low) if low == cut else f"{legend_format(low)}–{legend_format(cut)}"))
        low = cut + 1
    legend.append(("map-hidden", hidden_label))
    return {"svg": svg, "legend": legend}


def figures_for_regions(keys: Sequence, cells: Sequence) -> list[MapFigure]:
    """Published cells keyed by region id or P-code → MapFigure per province
    (``cell.value`` None when hidden), with the region's name as label."""
    regions = db.session.scalars(sa.select(Region).where(sa.or_(Region.id.in_([k for k in keys if isinstance(k, int)]),
                                                             Region.pcode.in_([str(k) for k in keys])))).all()
    by_key = {r.id: r for r in regions} | {r.pcode: r for r in regions}
    out = []
    for key, cell in zip(keys, cells, strict=False):
        region = by_key.get(key)
        if region is not None:
            out.append(MapFigure(region.pcode, getattr(cell, "value", cell), localized(region.names)))
    return out
