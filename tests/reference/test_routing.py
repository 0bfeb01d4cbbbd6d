"""route(): the most specific routing rule wins."""
import sqlalchemy as sa

from tracker.reference.models import Force, OversightBody, Region, RoutingRule
from tracker.reference.routing import route


def _body(db, code):
    body = OversightBody(code=code, names={"en": code})
    db.session.add(body)
    db.session.flush()
    return body


def _ids(db):
    region = {r.pcode: r.id for r in db.session.scalars(sa.select(Region))}
    force = {f.code: f.id for f in db.session.scalars(sa.select(Force))}
    return region, force


def test_demo_wildcard_rule_routes_everything_to_the_national_body(db):
    region, force = _ids(db)
    assert route(force["ARMY"], region["XV0101"]).code == "NOC"
    assert route(None, region["XV03"]).code == "NOC"
    assert route(None, None).code == "NOC"


def test_no_rule_means_no_body(db):
    db.session.execute(sa.delete(RoutingRule))
    region, force = _ids(db)
    assert route(force["ARMY"], region["XV0101"]) is None


def test_region_rules_beat_wildcards_and_nearest_ancestor_wins(db):
    region, force = _ids(db)
    north = _body(db, "NORTH")
    alto = _body(db, "ALTO")
    db.session.add_all([
        RoutingRule(region_id=region["XV01"], body=north),
        RoutingRule(region_id=region["XV0101"], body=alto),
    ])
    db.session.flush()
    assert route(force["ARMY"], region["XV0101"]).code == "ALTO"  # the district itself
    assert route(force["ARMY"], region["XV0102"]).code == "NORTH"  # nearest ancestor
    assert route(force["ARMY"], region["XV0201"]).code == "NOC"  # elsewhere: wildcard


def test_force_rules_beat_wildcard_force_at_the_same_region_depth(db):
    region, force = _ids(db)
    navy_body = _body(db, "NAVAL")
    north = _body(db, "NORTH")
    db.session.add_all([
        RoutingRule(force_id=force["NAVY"], body=navy_body),
        RoutingRule(region_id=region["XV01"], body=north),
    ])
    db.session.flush()
    assert route(force["NAVY"], region["XV0402"]).code == "NAVAL"
    assert route(force["ARMY"], region["XV0402"]).code == "NOC"
    # a region rule is more specific than a force-only rule
    assert route(force["NAVY"], region["XV0101"]).code == "NORTH"
    navy_north = _body(db, "NAVY-NORTH")
    db.session.add(RoutingRule(force_id=force["NAVY"], region_id=region["XV01"], body=navy_north))
    db.session.flush()
    assert route(force["NAVY"], region["XV0103"]).code == "NAVY-NORTH"
    assert route(force["POLICE"], region["XV0103"]).code == "NORTH"


def test_identical_rules_pick_the_oldest(db):
    region, force = _ids(db)
    first, second = _body(db, "FIRST"), _body(db, "SECOND")
    db.session.add(RoutingRule(region_id=region["XV0101"], force_id=force["ARMY"], body=first))
    db.session.flush()
    db.session.add(RoutingRule(region_id=region["XV0101"], force_id=force["ARMY"], body=second))
    db.session.flush()
    assert route(force["ARMY"], region["XV0101"]).code == "FIRST"


def test_a_cycle_in_the_region_tree_ends_the_chain(db):
    region, force = _ids(db)
    north = _body(db, "NORTH")
    db.session.add(RoutingRule(region_id=region["XV01"], body=north))
    # a bad upload: the province's parent is its own district
    db.session.execute(sa.update(Region).where(Region.id == region["XV01"]).values(parent_id=region["XV0101"]))
    db.session.flush()
    assert route(force["ARMY"], region["XV0101"]).code == "NORTH"
    assert route(force["ARMY"], region["XV0201"]).code == "NOC"
