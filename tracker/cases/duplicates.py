"""Duplicate suggestions for a case (DESIGN §4): other open cases of the same
body in the same region or district, with an incident date within ±3 days,
ranked by shared categories and shared words (via the search index)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from tracker.cases.models import Case, CaseSearchToken
from tracker.extensions import db
from tracker.intake.models import Report, ReportCategory

WINDOW = timedelta(days=3)
MAX_CANDIDATES = 200


@dataclass
class Suggestion:
    case: Case
    score: int
    same_region: bool
    days_apart: int
    shared_categories: list[str]
    shared_words: int


def _district_ids(region) -> list[int]:
    from tracker.reference.models import Region

    if region is None:
        return []
    district = region.at_level(2) if region.level >= 2 else region
    ids = {district.id}
    todo = [district.id]
    while todo:
        kids = db.session.scalars(sa.select(Region.id).where(Region.parent_id.in_(todo))).all()
        todo = [k for k in kids if k not in ids]
        ids.update(todo)
    return sorted(ids)


def _categories(case_ids: list[int]) -> dict[int, set[str]]:

    out: dict[int, set[str]] = {}
    if not case_ids:
        return out
    rows = db.session.execute(
        sa.select(Report.case_id, ReportCategory.category)
        .join(ReportCategory, ReportCategory.report_id == Report.id)
        .where(Report.case_id.in_(case_ids))
    ).all()
    for cid, cat in rows:
        out.setdefault(cid, set()).add(cat)
    return out


def suggest_duplicates(case: Case, limit: int = 5) -> list[Suggestion]:
    """Ranked suggestions; an empty list when the case has no place or date."""
    if case.region_id is None or case.occurred_on is None or case.body_id is None:
        return []
    region_ids = _district_ids(case.region)
    candidates = db.session.scalars(
        sa.select(Case)
        .where(
            Case.body_id == case.body_id,
            Case.id != case.id,
            Case.state.not_in(("merged",)),
            Case.region_id.in_(region_ids),
            Case.occurred_on.between(case.occurred_on - WINDOW, case.occurred_on + WINDOW),
        )
        .order_by(Case.id.desc())
        .limit(MAX_CANDIDATES)
    ).all()
    if not candidates:
        return []
    ids = [c.id for c in candidates]
    cats = _categories([case.id, *ids])
    mine = cats.get(case.id, set())
    my_tokens = sa.select(CaseSearchToken.token_hash).where(CaseSearchToken.case_id == case.id)
    shared = dict(
        db.session.execute(
            sa.select(CaseSearchToken.case_id, sa.func.count(sa.distinct(CaseSearchToken.token_hash)))
            .where(CaseSearchToken.case_id.in_(ids), CaseSearchToken.token_hash.in_(my_tokens))
            .group_by(CaseSearchToken.case_id)
        ).all()
    )
    out = []
    for other in candidates:
        common = sorted(mine & cats.get(other.id, set()))
        words = int(shared.get(other.id, 0))
        same_region = other.region_id == case.region_id
        days = abs((other.occurred_on - case.occurred_on).days)
        score = (3 if same_region else 1) + (3 - days) + 3 * len(common) + min(words, 10)
        out.append(Suggestion(other, score, same_region, days, common, words))
    out.sort(key=lambda s: (-s.score, s.days_apart, s.case.id))
    return out[:limit]
