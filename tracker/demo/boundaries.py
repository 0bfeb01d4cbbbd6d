"""The demo country's own boundaries (tracker/demo/data/boundaries.geojson),
loaded through the same checks as an admin's upload.

The file was drawn by ``python -m tracker.demo.boundaries > tracker/demo/data/boundaries.geojson``:
each province and district of Valdoria is a block of a 0.25° grid whose
nodes are nudged by a fixed pseudo-random amount, so that neighbours share
their borders exactly and the outlines look hand-drawn rather than square.
"""
from __future__ import annotations

import hashlib
import json
import pathlib

from tracker.reference.maps import parse_boundaries, store_boundaries

DATA = pathlib.Path(__file__).parent / "data" / "boundaries.geojson"
STEP = 0.25
JITTER = 0.09

# P-code → (west, south, east, north) in degrees.
BLOCKS = {
    "XV01": (-74.0, 11.0, -71.0, 13.0),
    "XV0101": (-74.0, 12.0, -72.5, 13.0),
    "XV0102": (-72.5, 12.0, -71.0, 13.0),
    "XV0103": (-74.0, 11.0, -72.5, 12.0),
    "XV0104": (-72.5, 11.0, -71.0, 12.0),
    "XV02": (-71.0, 11.0, -68.0, 13.0),
    "XV0201": (-71.0, 12.0, -69.5, 13.0),
    "XV0202": (-69.5, 12.0, -68.0, 13.0),
    "XV0203": (-71.0, 11.0, -68.0, 12.0),
    "XV03": (-71.0, 9.5, -68.0, 11.0),
    "XV0301": (-71.0, 9.5, -70.0, 11.0),
    "XV0302": (-70.0, 9.5, -69.0, 11.0),
    "XV0303": (-69.0, 9.5, -68.0, 11.0),
    "XV04": (-74.0, 9.5, -71.0, 11.0),
    "XV0401": (-74.0, 10.25, -71.0, 11.0),
    "XV0402": (-74.0, 9.5, -71.0, 10.25),
}


def _nudge(x: float, y: float) -> list[float]:
    digest = hashlib.sha256(f"{x:.2f},{y:.2f}".encode()).digest()
    dx = (digest[0] / 255 - 0.5) * 2 * JITTER
    dy = (digest[1] / 255 - 0.5) * 2 * JITTER
    return [round(x + dx, 4), round(y + dy, 4)]


def _edge(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    steps = round(max(abs(x1 - x0), abs(y1 - y0)) / STEP)
    return [_nudge(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps)]


def _ring(west: float, south: float, east: float, north: float) -> list[list[float]]:
    ring = (_edge(west, south, east, south) + _edge(east, south, east, north)
            + _edge(east, north, west, north) + _edge(west, north, west, south))
    return ring + [ring[0]]


def demo_geojson() -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"pcode": pcode},
             "geometry": {"type": "Polygon", "coordinates": [_ring(*box)]}}
            for pcode, box in BLOCKS.items()
        ],
    }


def load_boundaries() -> int:
    """Store the demo outlines (flush, no commit); returns how many."""
    return store_boundaries(parse_boundaries(DATA.read_bytes()))


if __name__ == "__main__":
    print(json.dumps(demo_geojson(), separators=(",", ":")))
