"""Translated titles of audit event codes that are not case moves (those
live with the workflow, tracker.cases.workflow.audit_labels). One table, so
the trail reads in the reader's language wherever it is shown."""
from flask_babel import lazy_gettext as _l

EVENT_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.locked": _l("Account locked after failed sign-ins"),
    "auth.logout": _l("Signed out"),
    "user.created": _l("Account created"),
    "user.disabled": _l("Account deactivated"),
    "user.enabled": _l("Account reactivated"),
    "user.permissions_changed": _l("Role or permissions changed"),
    "user.password_changed": _l("Password changed"),
    "user.totp_enrolled": _l("Second factor set up"),
    "user.totp_reset": _l("Second factor reset"),
    "token.issued": _l("API token issued"),
    "token.revoked": _l("API token revoked"),
    "reference.body_created": _l("Oversight body added"),
    "reference.force_created": _l("Force added"),
    "reference.unit_created": _l("Unit added"),
    "reference.operation_created": _l("Operation added"),
    "reference.organisation_created": _l("Organisation added"),
    "reference.routing_rule_created": _l("Routing rule added"),
    "reference.routing_rule_deleted": _l("Routing rule removed"),
    "reference.regions_imported": _l("Regions loaded"),
    "settings.changed": _l("Settings changed"),
    "trends.exported": _l("Trends exported (CSV)"),
    "response.submitted": _l("Commander response submitted"),
    "response.approved": _l("Commander response approved"),
    "response.returned": _l("Commander response returned"),
    "response.translated": _l("Commander response translated"),
    "demo.loaded": _l("Demo data loaded"),
}

#: Who did it, when no account is named.
ROLE_LABELS = {
    "system": _l("System"),
    "reporter": _l("Reporter"),
    "officer": _l("Officer"),
    "supervisor": _l("Supervisor"),
    "commander": _l("Commander"),
    "admin": _l("Administrator"),
    "partner": _l("Partner"),
}
