"""Who may do what with a commander response. Route guards, services and
templates all ask these functions; none of them changes anything."""
from __future__ import annotations

import sqlalchemy as sa

from tracker.extensions import db
from tracker.reference.models import RoutingRule
from tracker.responses.models import CommanderResponse


def role_of(user) -> str | None:
    """The signed-in user's role, or None for anyone else."""
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def bodies_overseeing(force_id: int) -> set[int]:
    """The oversight bodies whose routing rules name the force (or any force)."""
    rows = db.session.execute(
        sa.select(RoutingRule.body_id).where(sa.or_(RoutingRule.force_id == force_id, RoutingRule.force_id.is_(None)))
    )
    return {r[0] for r in rows}


def can_write_response(user, force_id: int | None = None) -> bool:
    """Only a commander, and only for their own force."""
    return role_of(user) == "commander" and user.force_id is not None and (force_id is None or force_id == user.force_id)


def can_edit_response(user, resp: CommanderResponse) -> bool:
    """A commander of the response's force, while it is a draft or was returned."""
    return can_write_response(user, resp.force_id) and resp.status in ("draft", "returned")


def can_review_response(user, resp: CommanderResponse) -> bool:
    """A supervisor of a body that oversees the response's force."""
    return (
        role_of(user) == "supervisor"
        and user.body_id is not None
        and user.body_id in bodies_overseeing(resp.force_id)
    )


def can_view_response(user, resp: CommanderResponse) -> bool:
    """Commanders see their force's; supervisors see any response once it
    left its draft (the ones they review, and others in context). A draft
    is the commander's own until sent, as the supervisors' list has it."""
    if role_of(user) == "commander":
        return user.force_id == resp.force_id
    return role_of(user) == "supervisor" and resp.status != "draft"


def can_translate_response(user, resp: CommanderResponse) -> bool:
    """A supervisor who may review the response, once it is approved: its
    text no longer changes, so a translation never goes stale, and nothing
    unapproved is ever translated for the public. Never an officer, a
    commander (not even the author) or an admin."""
    return resp.status == "approved" and can_review_response(user, resp)
