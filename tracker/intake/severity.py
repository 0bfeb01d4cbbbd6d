"""Severity computed on intake (DESIGN §4). An officer may override it later.

The rule, first match wins:

1. ``critical``: a category in CRITICAL_CATEGORIES (killing, torture, sexual
   violence, disappearance); or any death (``killed`` > 0); or anyone missing
   (``missing`` > 0: a disappearance by another name); or children among the
   victims when the report would otherwise be ``high``.
2. ``high``: a category in HIGH_CATEGORIES (injury, detention, displacement
   and their kin: attempted killing, assault, arbitrary detention, mass
   round-up, abuse of detainees, forced displacement, explosive weapons, denial
   of medical care); or anyone injured or detained; or displaced households.
3. ``medium``: a category in MEDIUM_CATEGORIES (property, threats, searches:
   threats, illegal search, destruction of property, looting or extortion,
   land seizure, attacks on essential services, collective punishment); or
   property damaged.
4. ``low``: anything else (``other`` only, nothing counted).
"""
from collections.abc import Iterable, Mapping

from tracker.intake.models import SEVERITY_ORDER

CRITICAL_CATEGORIES = frozenset({"killing", "torture", "sexual_violence", "disappearance"})
HIGH_CATEGORIES = frozenset(
    {
        "attempted_killing",
        "assault",
        "arbitrary_detention",
        "mass_roundup",
        "detainee_abuse",
        "displacement",
        "explosive_weapons",
        "denial_of_care",
    }
)
MEDIUM_CATEGORIES = frozenset(
    {
        "threats",
        "illegal_search",
        "property_destruction",
        "looting_extortion",
        "land_seizure",
        "essential_services",
        "collective_punishment",
    }
)


def _count(harm: Mapping, key: str) -> int:
    value = harm.get(key) or 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def compute_severity(categories: Iterable[str], harm: Mapping | None, victims: Mapping | None) -> str:
    """Return ``critical``, ``high``, ``medium`` or ``low`` by the rule above.

    ``harm`` has the numeric keys killed/injured/detained/missing/
    displaced_households and the flag property_damaged; ``victims`` has the
    flags children/women/elderly/disability. Missing keys count as zero/no.
    """
    cats = set(categories or ())
    harm = harm or {}
    victims = victims or {}
    if cats & CRITICAL_CATEGORIES or _count(harm, "killed") > 0 or _count(harm, "missing") > 0:
        return "critical"
    high = (
        bool(cats & HIGH_CATEGORIES)
        or _count(harm, "injured") > 0
        or _count(harm, "detained") > 0
        or _count(harm, "displaced_households") > 0
    )
    if high:
        return "critical" if victims.get("children") is True else "high"
    if cats & MEDIUM_CATEGORIES or harm.get("property_damaged") is True:
        return "medium"
    return "low"


def severity_rank(severity: str) -> int:
    """0 for critical … 3 for low (the queue sorts on it)."""
    return SEVERITY_ORDER[severity]
