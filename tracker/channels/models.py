"""What the channels keep: partner device tokens, the submissions already
filed (so a resend files once, even days later), SMS conversations in
progress, and the numbers of SMS reporters who agreed to be contacted.

Phone numbers are never stored in clear (DESIGN §8b): a conversation is
found by a keyed hash of the gateway and number; its answers are encrypted
and the row is deleted when it ends or times out. A number is kept, encrypted,
only for a reporter who consented to be contacted, to deliver the officer's
messages through the same gateway.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.crypto import decrypt_json, decrypt_text, encrypt_json, encrypt_text
from tracker.core.db import utcnow
from tracker.extensions import db


class DeviceToken(db.Model):
    """A revocable token for one partner device (ODK Collect, KoboCollect,
    a KoboToolbox REST Service), as ODK Central's app users. Only a keyed
    hash is stored; the token is shown once, in the server URL and QR code."""

    __tablename__ = "device_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ChannelSubmission(db.Model):
    """A submission already filed, by a keyed hash of its channel key (the
    OpenRosa instanceID, the Kobo root UUID, the SMS gateway's message id).
    Kept as long as the report, unlike intake's one-day idempotency rows:
    a device may resend after days offline."""

    __tablename__ = "channel_submission"
    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"), index=True)
    receipt_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def receipt(self) -> str:
        return decrypt_text(self.receipt_enc) or ""


class SmsConversation(db.Model):
    """A conversation in progress, keyed by a keyed hash of gateway and
    number; the answers so far are encrypted. Deleted when the report is
    filed, on STOP, or after the timeout (TRACKER_SMS_TIMEOUT_MINUTES)."""

    __tablename__ = "sms_conversation"
    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    step: Mapped[str] = mapped_column(sa.String(16))
    state_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def state(self) -> dict:
        return decrypt_json(self.state_enc) or {}

    @state.setter
    def state(self, value: dict) -> None:
        self.state_enc = encrypt_json(value or {})


class SmsContact(db.Model):
    """How to reach an SMS reporter who consented to be contacted: the
    gateway and the number, encrypted. Officers' messages to this report go
    out through that gateway."""

    __tablename__ = "sms_contact"
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(16))
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    number_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def number(self) -> str:
        return decrypt_text(self.number_enc) or ""

    @number.setter
    def number(self, value: str) -> None:
        self.number_enc = encrypt_text(value)
