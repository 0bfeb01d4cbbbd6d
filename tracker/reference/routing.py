"""Which oversight body receives a case: (force, region) → body (DESIGN §2).

A routing rule names a force or none (any force) and a region or none (any
region); a rule's region also covers everything below it. Of the rules that
match, the most specific wins:

1. the region: a rule on the report's own region beats one on its parent,
   which beats one on the grandparent …, which beats a rule for any region;
2. then the force: a rule naming the force beats a rule for any force;
3. ties (two identical rules): the oldest rule (lowest id), so the answer is
   stable.
"""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.reference.models import OversightBody, Region, RoutingRule

MAX_DEPTH = 32  # far deeper than country → province → district; bounds a cycle


def _region_chain(region_id: int | None) -> list[int]:
    """The region's id followed by its ancestors' ids, nearest first (one
    recursive query, run on every intake; a cycle in the tree ends it)."""
    if region_id is None:
        return []
    up = (sa.select(Region.id, Region.parent_id, sa.literal(0).label("depth"))
          .where(Region.id == region_id).cte("region_chain", recursive=True))
    up = up.union_all(sa.select(Region.id, Region.parent_id, up.c.depth + 1)
                      .where(Region.id == up.c.parent_id, up.c.depth < MAX_DEPTH))
    chain: list[int] = []
    for rid in db.session.scalars(sa.select(up.c.id).order_by(up.c.depth)):
        if rid in chain:
            break
        chain.append(rid)
    return chain


def route(force_id: int | None, region_id: int | None) -> OversightBody | None:
    """The body that should receive a case about ``force_id`` in ``region_id``
    by the most specific matching rule, or None when no rule matches."""
    chain = _region_chain(region_id)
    force_ok = RoutingRule.force_id.is_(None)
    if force_id is not None:
        force_ok = sa.or_(force_ok, RoutingRule.force_id == force_id)
    region_ok = RoutingRule.region_id.is_(None)
    if chain:
        region_ok = sa.or_(region_ok, RoutingRule.region_id.in_(chain))
    rules = db.session.scalars(
        sa.select(RoutingRule).options(joinedload(RoutingRule.body)).where(force_ok, region_ok).order_by(RoutingRule.id)
    ).all()
    if not rules:
        return None

    def specificity(rule: RoutingRule) -> tuple[int, int, int]:
        depth = chain.index(rule.region_id) if rule.region_id is not None else len(chain)
        return (depth, 0 if rule.force_id is not None else 1, rule.id)

    return min(rules, key=specificity).body
