"""Settings editable by admins, stored in ``reference.models.Setting``.

Read them with ``get_setting(key, default)`` or the typed helpers below;
a value not set by an admin falls back to the configuration.

Keys:
- ``triage_deadlines``: {"critical": hours, "high": hours, "medium": hours, "low": hours}
- ``k_threshold``: int, the minimum count shown in aggregates (DESIGN §5)
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from tracker.extensions import db
from tracker.reference.models import Setting

SEVERITIES = ("critical", "high", "medium", "low")


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
    for sev in SEVERITIES:
        value = stored.get(sev)
        if isinstance(value, int) and value > 0:
            base[sev] = value
    return base


def k_threshold() -> int:
    """K of the anonymisation policy (admin setting, else TRACKER_K_THRESHOLD)."""
    value = get_setting("k_threshold")
    if isinstance(value, int) and value >= 2:
        return value
    return int(current_app.config["TRACKER_K_THRESHOLD"])


def all_settings() -> dict[str, Any]:
    return {row.key: row.value for row in db.session.scalars(sa.select(Setting).order_by(Setting.key))}
