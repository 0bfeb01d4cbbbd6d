"""Who may see and follow up on which report, on the reporter's side.

DESIGN §1 (partner row): a partner — the account of a civil-society
organisation — may see the reports their organisation filed and their
statuses, and may follow up on them (assisted intake). Never the reports of
another organisation, and never the contact details they typed in for the
community member: least privilege, the oversight body reveals those with an
audited action, the partner does not need them to follow up.
Anonymous reporters follow up with their receipt (tracker.intake.views).
"""
from __future__ import annotations


def _partner_org_id(user) -> int | None:
    """The organisation of a signed-in partner, or None for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "role", None) != "partner":
        return None
    return getattr(user, "organisation_id", None)


def can_view_filed_reports(user) -> bool:
    """The list of reports filed by one's organisation: partners that belong
    to an organisation."""
    return _partner_org_id(user) is not None


def can_view_filed_report(user, report) -> bool:
    """One report's status and message thread: only a partner of the
    organisation that filed it."""
    org_id = _partner_org_id(user)
    return org_id is not None and report is not None and report.filed_by_org_id == org_id


def can_follow_up_filed_report(user, report) -> bool:
    """Adding information to a report: whoever may view it (the partner acts
    for the community member who has the receipt)."""
    return can_view_filed_report(user, report)
