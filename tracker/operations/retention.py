"""Retention: what is erased, and when, once a case is finished.

Per kind of data, a number of days after the last change of a case that is
closed or rejected (None: kept). Defaults come from the configuration
(TRACKER_RETENTION_PHOTOS_DAYS, …_CONTACT_DAYS, …_CLOSED_CASE_DAYS); an
admin setting ``retention`` ({"photos": days, "contact": days,
"closed_cases": days}) overrides them. ``flask --app tracker sweep``
applies the policy (safe to run twice); each run that erases something
records one audit event with the counts.

- ``photos``: the photos of the case's reports are deleted;
- ``contact``: the reporters' contact details are deleted;
- ``closed_cases``: everything a person could be recognised by is erased —
  narratives, place and unit descriptions, coordinates, messages, notes,
  photos, contact details and search tokens — while the coded fields
  (categories, date, district, force, harm counts, outcome) stay, so the
  published statistics do not change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from tracker.admin.settings import get_setting
from tracker.audit.service import record
from tracker.cases.models import Case, CaseNote, CaseSearchToken
from tracker.core.crypto import encrypt_bytes
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import Message, Photo, Report

KINDS = ("photos", "contact", "closed_cases")
FINISHED_STATES = ("closed", "rejected")
_CONFIG = {"photos": "TRACKER_RETENTION_PHOTOS_DAYS", "contact": "TRACKER_RETENTION_CONTACT_DAYS",
           "closed_cases": "TRACKER_RETENTION_CLOSED_CASE_DAYS"}


def retention_days() -> dict[str, int | None]:
    """Days kept after a case is finished, per kind (admin setting, else config)."""
    stored = get_setting("retention") or {}
    policy = {}
    for kind in KINDS:
        value = stored.get(kind, current_app.config.get(_CONFIG[kind]))
        policy[kind] = value if isinstance(value, int) and value >= 0 else None
    return policy


@dataclass
class RetentionResult:
    photos: int = 0
    contacts: int = 0
    cases_erased: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"photos": self.photos, "contacts": self.contacts, "cases_erased": self.cases_erased}


def _finished_before(days: int):
    """Report ids of cases closed or rejected, unchanged for ``days`` days."""
    cutoff = utcnow() - timedelta(days=days)
    cases = sa.select(Case.id).where(Case.state.in_(FINISHED_STATES), Case.updated_at <= cutoff)
    return sa.select(Report.id).where(Report.case_id.in_(cases))


def apply_retention(now_policy: dict[str, int | None] | None = None) -> RetentionResult:
    """Erase what the policy says is due. The caller commits."""
    policy = now_policy or retention_days()
    result = RetentionResult()
    if policy["closed_cases"] is not None:
        reports = _finished_before(policy["closed_cases"])
        erased_reports = sa.select(Report.id).where(Report.id.in_(reports), Report.narrative_enc.is_not(None)
                                                    | Report.place_description_enc.is_not(None)
                                                    | Report.unit_description_enc.is_not(None)
                                                    | Report.latitude.is_not(None)
                                                    | Report.contact_enc.is_not(None))
        case_ids = set(db.session.scalars(sa.select(Report.case_id).where(Report.id.in_(erased_reports))))
        result.cases_erased = len(case_ids)
        result.contacts += db.session.execute(
            sa.update(Report).where(Report.id.in_(reports), Report.contact_enc.is_not(None))
            .values(contact_enc=None).execution_options(synchronize_session=False)).rowcount
        db.session.execute(sa.update(Report).where(Report.id.in_(reports)).values(
            narrative_enc=None, place_description_enc=None, unit_description_enc=None, latitude=None,
            longitude=None).execution_options(synchronize_session=False))
        blank = encrypt_bytes(b"")  # bodies are required: an empty one
        db.session.execute(sa.update(Message).where(Message.report_id.in_(reports)).values(body_enc=blank)
                           .execution_options(synchronize_session=False))
        if case_ids:
            db.session.execute(sa.update(CaseNote).where(CaseNote.case_id.in_(case_ids))
                               .values(body_enc=blank).execution_options(synchronize_session=False))
        db.session.execute(sa.delete(CaseSearchToken).where(CaseSearchToken.report_id.in_(reports))
                           .execution_options(synchronize_session=False))
        result.photos += db.session.execute(sa.delete(Photo).where(Photo.report_id.in_(reports))
                                            .execution_options(synchronize_session=False)).rowcount
    if policy["photos"] is not None:
        result.photos += db.session.execute(
            sa.delete(Photo).where(Photo.report_id.in_(_finished_before(policy["photos"])))
            .execution_options(synchronize_session=False)).rowcount
    if policy["contact"] is not None:
        result.contacts += db.session.execute(
            sa.update(Report).where(Report.id.in_(_finished_before(policy["contact"])),
                                    Report.contact_enc.is_not(None))
            .values(contact_enc=None).execution_options(synchronize_session=False)).rowcount
    if any(result.as_dict().values()):
        record("retention.applied", data=result.as_dict())
    db.session.expire_all()
    return result


def on_sweep(_app) -> list[str]:
    """``sweep_ran`` receiver: apply the policy, commit, say what was erased."""
    result = apply_retention()
    db.session.commit()
    return ["retention: {photos} photos deleted, {contacts} contact details deleted, "
            "{cases_erased} finished cases erased".format(**result.as_dict())]
