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

from tracker.extensions import db
from tracker.reference.models import OversightBody, Region, RoutingRule

MAX_DEPTH = 32  # far deeper than country → province → district; bounds a cycle


def _chain_cte():
    up = (sa.select(Region.id, Region.parent_id, sa.literal(0).label("depth"))
          .where(Region.id == sa.bindparam("region_id")).cte("region_chain", recursive=True))
    return up.union_all(sa.select(Region.id, Region.parent_id, up.c.depth + 1)
                        .where(Region.id == up.c.parent_id, up.c.depth < MAX_DEPTH))


def _best_rule_statement():
    """The body of the most specific matching rule, in one query run on
    every intake (built once: building it costs more than running it).
    A rule's region depth is its first (smallest) depth in the chain, as
    ``chain.index`` would give; a rule for any region comes after every
    region of the chain; then a rule naming the force; then the oldest."""
    chain = _chain_cte()
    first = (sa.select(chain.c.id, sa.func.min(chain.c.depth).label("depth")).group_by(chain.c.id)
             .subquery("chain_depth"))
    force = sa.bindparam("force_id", type_=sa.Integer)
    return (
        sa.select(RoutingRule.body_id)
        .select_from(RoutingRule)
        .outerjoin(first, first.c.id == RoutingRule.region_id)
        .where(
            sa.or_(RoutingRule.force_id.is_(None), RoutingRule.force_id == force),
            sa.or_(RoutingRule.region_id.is_(None), first.c.id.is_not(None)),
        )
        .order_by(
            sa.func.coalesce(first.c.depth, MAX_DEPTH + 1),
            sa.case((RoutingRule.force_id.is_(None), 1), else_=0),
            RoutingRule.id,
        )
        .limit(1)
    )


_BEST_RULE = _best_rule_statement()


def route_body_id(force_id: int | None, region_id: int | None) -> int | None:
    """The id of the body that should receive a case about ``force_id`` in
    ``region_id`` by the most specific matching rule, or None."""
    return db.session.scalar(_BEST_RULE, {"force_id": force_id, "region_id": region_id})


def route(force_id: int | None, region_id: int | None) -> OversightBody | None:
    """The body that should receive a case about ``force_id`` in ``region_id``
    by the most specific matching rule, or None when no rule matches."""
    body_id = route_body_id(force_id, region_id)
    return db.session.get(OversightBody, body_id) if body_id is not None else None
