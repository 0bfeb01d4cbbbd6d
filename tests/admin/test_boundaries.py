"""Admins upload district and province outlines as GeoJSON keyed by P-code
(issue 9 item 5): checked (known P-codes, polygons only, size limits),
simplified, stored all-or-nothing, audited, and drawn on the report form."""
import io
import json
import math
import re

import pytest
import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.reference import maps
from tracker.reference.models import Region, RegionBoundary


def square(west, south, size, *, points_per_side=1):
    """A closed ring; extra collinear points (which simplification must drop)."""
    ring = []
    corners = [(west, south), (west + size, south), (west + size, south + size), (west, south + size)]
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=False):
        for i in range(points_per_side):
            ring.append([x0 + (x1 - x0) * i / points_per_side, y0 + (y1 - y0) * i / points_per_side])
    return ring + [ring[0]]


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(pcode, geometry, key="pcode"):
    return {"type": "Feature", "properties": {key: pcode}, "geometry": geometry}


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def upload(client, data: bytes):
    token = csrf_token(client, "/admin/boundaries")
    return client.post("/admin/boundaries", data={"csrf_token": token, "file": (io.BytesIO(data), "b.geojson")},
                       content_type="multipart/form-data")


def stored(pcode):
    region = db.session.scalar(sa.select(Region).filter_by(pcode=pcode))
    return db.session.get(RegionBoundary, region.id)


def test_upload_replaces_outlines_simplified_and_audited(client, login_as):
    login_as("admin")
    island = polygon(square(-72.0, 12.0, 0.5, points_per_side=50))
    two_islands = {"type": "MultiPolygon", "coordinates": [[square(-70.0, 12.0, 0.2)], [square(-69.5, 12.2, 0.2)]]}
    data = collection(feature("XV0101", island), feature("XV0201", two_islands, key="ADM2_PCODE"))
    resp = upload(client, data)
    assert resp.status_code == 302
    row = stored("XV0101")
    # 200 collinear points along a square → its 4 corners.
    assert row.vertices == 4 and len(row.polygons) == 1 and len(row.polygons[0][0]) == 4
    assert sorted(map(tuple, row.polygons[0][0])) == sorted([(-72.0, 12.0), (-71.5, 12.0), (-71.5, 12.5), (-72.0, 12.5)])
    assert len(stored("XV0201").polygons) == 2
    event = db.session.scalars(sa.select(AuditEvent).filter_by(action="reference.boundaries_loaded")).all()[-1]
    assert event.data["count"] == 2 and set(event.data["pcodes"]) == {"XV0101", "XV0201"}
    page = client.get("/admin/boundaries").get_data(as_text=True)
    assert "XV0101" in page and 'data-pcode="XV0101"' in page  # the preview map


@pytest.mark.parametrize(
    "data,message",
    [
        (b"not json", "not GeoJSON"),
        (json.dumps({"type": "Feature"}).encode(), "FeatureCollection"),
        (collection(feature("XV9999", polygon(square(0, 0, 1)))), "XV9999"),
        (collection(feature("XV0101", {"type": "Point", "coordinates": [0, 0]})), "Only Polygon and MultiPolygon"),
        (collection(feature("XV0101", polygon([[0, 0], [1, 0], [0, 0]]))), "at least four positions"),
        (collection(feature("XV0101", polygon(square(200, 0, 1)))), "outside the earth"),
        (collection(feature("XV0101", polygon(square(0, 0, 1))), feature("XV0101", polygon(square(0, 0, 1)))),
         "appears twice"),
        (collection({"type": "Feature", "properties": {}, "geometry": polygon(square(0, 0, 1))}), "no P-code"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_stored(client, login_as, data, message):
    login_as("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(RegionBoundary))
    # A good feature first: all or nothing.
    if data.startswith(b'{"type": "FeatureCollection"'):
        doc = json.loads(data)
        doc["features"].insert(0, feature("XV0102", polygon(square(-71.0, 12.0, 0.5))))
        data = json.dumps(doc).encode()
    resp = upload(client, data)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RegionBoundary)) == before


def test_too_large_a_file_is_refused(app, db):
    with pytest.raises(maps.BoundaryError, match="too large"):
        maps.parse_boundaries(b" " * (maps.MAX_BOUNDARY_BYTES + 1))


def test_detailed_outlines_are_kept_within_the_stored_limit(app, db):
    ring = [[-72 + 0.5 * math.cos(t / 1000 * 2 * math.pi) + 0.01 * math.sin(t), 12 + 0.5 * math.sin(t / 1000 * 2 * math.pi)]
            for t in range(20000)]
    parsed = maps.parse_boundaries(collection(feature("XV0101", polygon(ring + [ring[0]]))))
    assert 3 < parsed[0].vertices <= maps.MAX_STORED_VERTICES


def test_demo_country_ships_outlines_for_every_district(app, db):
    districts = set(db.session.scalars(sa.select(Region.pcode).where(Region.level == 2)))
    with_outline = set(db.session.scalars(
        sa.select(Region.pcode).join(RegionBoundary, RegionBoundary.region_id == Region.id).where(Region.level == 2)))
    assert districts and with_outline == districts
    svg = str(maps.district_map())
    assert set(re.findall(r'data-pcode="(\w+)"', svg)) == districts
    assert len(svg) < 4000  # a few KB, simplified
    assert "<title>" not in svg and 'aria-hidden="true"' in svg
