"""Exports of the commander's figures (DESIGN §4): every CSV taken is
audited, with who took it and which filters, never the figures themselves."""
from __future__ import annotations

from collections.abc import Mapping

from tracker.audit.service import record

#: The query parameters of /trends that say which aggregates were taken.
EXPORT_FILTERS = ("grain", "from", "to", "province", "category", "unit", "force")


def _force_id(scope: str) -> int | None:
    return int(scope.split(":")[1]) if scope.startswith("force:") else None


def record_export(user, scope: str, args: Mapping[str, str]) -> None:
    """Audit a CSV export of the figures of ``scope`` (``force:<id>`` or all
    forces) by ``user``: the filters asked for, nothing else. Flushes; the
    view commits."""
    filters = {k: v for k, v in args.items() if k in EXPORT_FILTERS}
    record("trends.exported", actor=user, object_type="force", object_id=_force_id(scope), data={"filters": filters})
