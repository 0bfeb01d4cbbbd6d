"""Who may read the commander trend pages."""
from __future__ import annotations


def can_view_trends(user) -> bool:
    """Commanders (their force) and oversight supervisors (every force,
    to review responses in context). Never admins, officers or partners."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == "supervisor" or (user.role == "commander" and user.force_id is not None)
