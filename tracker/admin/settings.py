"""Settings editable by admins, stored in ``reference.models.Setting``.

Read them with ``get_setting(key, default)`` or the typed helpers below;
a value not set by an admin falls back to the configuration.

Keys, each with its bounds defined once here (the form, the service that
saves and the readers below all use them):
- ``triage_deadlines``: {"critical": hours, "high": hours, "medium": hours, "low": hours},
  each DEADLINE_MIN_HOURS..DEADLINE_MAX_HOURS
- ``k_threshold``: int K_MIN..K_MAX, the smallest count shown in aggregates
  (DESIGN §5; read by tracker.metrics.anonymise)
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from tracker.extensions import db
from tracker.intake.models import SEVERITY_ORDER
from tracker.reference.models import Setting

DEADLINE_MIN_HOURS, DEADLINE_MAX_HOURS = 1, 24 * 365
#: K below 2 would publish a count of one person.
K_MIN, K_MAX = 2, 1000


def get_setting(key: str, default: Any = None) -> Any:
    """The stored value of ``key``, or ``default`` when none is stored."""
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def set_setting(key: str, value: Any) -> None:
    """Store ``value`` (JSON-serialisable). The caller audits and commits."""
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()


def triage_deadlines() -> dict[str, int]:
    """Hours allowed for triage per severity (admin setting, else config)."""
    base = dict(current_app.config["TRIAGE_DEADLINES"])
    stored = get_setting("triage_deadlines") or {}
    for sev in SEVERITY_ORDER:
        value = stored.get(sev)
        if isinstance(value, int) and DEADLINE_MIN_HOURS <= value <= DEADLINE_MAX_HOURS:
            base[sev] = value
    return base


def k_threshold() -> int:
    """K of the anonymisation policy (DESIGN §5): the admin setting when it is
    a whole number from K_MIN to K_MAX, else config TRACKER_K_THRESHOLD (never
    below K_MIN). The one reader of K: tracker.metrics.anonymise uses it."""
    value = get_setting("k_threshold")
    if isinstance(value, int) and not isinstance(value, bool) and K_MIN <= value <= K_MAX:
        return value
    return max(K_MIN, int(current_app.config["TRACKER_K_THRESHOLD"]))


def all_settings() -> dict[str, Any]:
    return {row.key: row.value for row in db.session.scalars(sa.select(Setting).order_by(Setting.key))}
