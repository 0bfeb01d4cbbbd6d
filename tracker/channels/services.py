"""Channel services: partner device tokens and filing a submission that
arrived by another road than the web form.

Every channel ends in :func:`file_submission`, which runs the same steps as
the web form and the JSON API: tracker.intake.schema.validate_report, the
photo pipeline (process_photos), then tracker.intake.services.submit_report
(severity, routing, case opening, audit). Nothing here re-implements a rule.

API::

    token, plain = issue_device_token(partner, "Field phone 3")   # plain shown once
    user = user_for_device_token(plain)                            # None if unknown/revoked
    revoke_device_token(partner, token.id)
    outcome = file_submission(raw, photos=[UploadedPhoto(...)], filed_by=user,
                              channel="openrosa", key="uuid:…")
    outcome.ok, outcome.created, outcome.receipt, outcome.errors
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.accounts.models import User
from tracker.audit.service import record
from tracker.channels.models import ChannelSubmission, DeviceToken
from tracker.core.crypto import encrypt_text, keyed_hash
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import Report
from tracker.intake.photos import UploadedPhoto, process_photos
from tracker.intake.schema import validate_report
from tracker.intake.services import submit_report

DEVICE_TOKEN_PREFIX = "dev_"
SUBMISSION_KEY_PURPOSE = "channel-submission"


class ChannelError(ValueError):
    """A request a channel refuses; ``message`` is translated for the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


# --------------------------------------------------------------------------- permissions


def can_manage_devices(user) -> bool:
    """Device tokens (ODK Collect, KoboCollect, Kobo REST Service) are for
    partners of an organisation: each submission is filed as that
    organisation's assisted report (DESIGN §1, §8b)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) == "partner"
        and getattr(user, "organisation_id", None) is not None
    )


# --------------------------------------------------------------------------- device tokens


def _token_hash(plain: str) -> str:
    return keyed_hash(plain, "device-token")


def issue_device_token(user: User, name: str) -> tuple[DeviceToken, str]:
    """A new token for one device of a partner. The plain token is returned
    once (for the server URL and QR code); only its keyed hash is kept.
    Audited."""
    if not can_manage_devices(user):
        raise ChannelError(_l("Only partner organisations can connect devices."))
    name = (name or "").strip()
    if not name:
        raise ChannelError(_l("Give the device a name, so you recognise it later."), "name")
    if len(name) > 80:
        raise ChannelError(_l("The name is too long."), "name")
    plain = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(user_id=user.id, name=name, token_hash=_token_hash(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    record("device_token.issued", actor=user, object_type="device_token", object_id=token.id)
    return token, plain


def device_tokens(user: User) -> list[DeviceToken]:
    """The user's device tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        sa.select(DeviceToken).where(DeviceToken.user_id == user.id)
        .order_by(DeviceToken.created_at.desc(), DeviceToken.id.desc())
    ))


def revoke_device_token(user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s device tokens; False if there is no such
    active token of theirs (another user's token is never touched). Audited."""
    token = db.session.get(DeviceToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record("device_token.revoked", actor=user, object_type="device_token", object_id=token.id)
    return True


def user_for_device_token(plain: str | None) -> User | None:
    """The active partner owning an active device token, or None."""
    if not plain or not plain.startswith(DEVICE_TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = db.session.scalar(sa.select(DeviceToken).where(DeviceToken.token_hash == _token_hash(plain)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if user is None or not user.is_active_account or not can_manage_devices(user):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return user


# --------------------------------------------------------------------------- filing


@dataclass
class FileOutcome:
    created: bool = False
    receipt: str | None = None
    report: Report | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def submission_key_hash(channel: str, key: str) -> str:
    return keyed_hash(f"{channel}:{key}", SUBMISSION_KEY_PURPOSE)


def already_filed(channel: str, key: str | None) -> ChannelSubmission | None:
    """The submission filed before under this channel key, or None."""
    if not key:
        return None
    return db.session.get(ChannelSubmission, submission_key_hash(channel, key))


def file_submission(
    raw: dict,
    *,
    photos: Sequence[UploadedPhoto] = (),
    filed_by: User | None = None,
    channel: str,
    key: str | None = None,
) -> FileOutcome:
    """File one submission through the web form's steps (validation, photo
    pipeline, severity, routing, case opening). ``key`` (instanceID, root
    UUID, message id) makes it idempotent for good: a resend, even days
    later, returns the first receipt and files nothing. Flushes; the caller
    commits."""
    previous = already_filed(channel, key)
    if previous is not None:
        return FileOutcome(created=False, receipt=previous.receipt, report=db.session.get(Report, previous.report_id))
    raw = dict(raw)
    if key:
        raw["idempotency_key"] = f"{channel}:{key}"[:200]
    data, errors = validate_report(raw, strict_types=False)
    processed, photo_errors = process_photos(list(photos))
    if photo_errors:
        errors = {**errors, "photos": " ".join(photo_errors)}
    if errors:
        return FileOutcome(errors=errors)
    result = submit_report(data, photos=processed, filed_by=filed_by)
    if key and result.created:
        db.session.add(ChannelSubmission(
            key_hash=submission_key_hash(channel, key), channel=channel, report_id=result.report.id,
            receipt_enc=encrypt_text(result.receipt),
        ))
        db.session.flush()
    return FileOutcome(created=result.created, receipt=result.receipt, report=result.report)
