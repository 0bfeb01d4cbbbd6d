"""What reporters send: reports, photos, messages, trust-pulse answers.

Narratives, place descriptions, contact details, message bodies and photos
are encrypted at rest (tracker.core.crypto). Coordinates are kept rounded to
two decimals. No IP address, user agent or receipt code is stored.
"""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.crypto import decrypt_json, decrypt_text, encrypt_json, encrypt_text
from tracker.core.db import utcnow
from tracker.extensions import db

PRECISIONS = {"day": _l("Exact day"), "month": _l("Month only")}
PARTS_OF_DAY = {
    "morning": _l("Morning"),
    "afternoon": _l("Afternoon"),
    "evening": _l("Evening"),
    "night": _l("Night"),
}
RELATIONSHIPS = {
    "victim": _l("I was harmed"),
    "witness": _l("I saw it happen"),
    "family": _l("A family member was harmed"),
    "community": _l("I represent the community"),
    "organisation": _l("I work for an organisation"),
}
NEEDS = {
    "medical": _l("Medical care"),
    "legal": _l("Legal help"),
    "shelter": _l("Shelter"),
    "psychosocial": _l("Psychosocial support"),
}
VICTIM_GROUPS = {
    "children": _l("Children"),
    "women": _l("Women"),
    "elderly": _l("Elderly people"),
    "disability": _l("Persons with disabilities"),
}
SEVERITIES = {
    "critical": _l("Critical"),
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
PULSE_QUESTIONS = {
    "respect": _l("Security forces treat people in my community with respect."),
    "voice": _l("They listen to the concerns of people in my community."),
    "fairness": _l("They treat all groups in my community equally."),
    "safe_to_report": _l("I can report a problem with them without fear."),
    "safety": _l("I feel safe in my area when they are present."),
}
PULSE_SCALE = {
    1: _l("Strongly disagree"),
    2: _l("Disagree"),
    3: _l("Neither agree nor disagree"),
    4: _l("Agree"),
    5: _l("Strongly agree"),
}


class Report(db.Model):
    __tablename__ = "report"
    __table_args__ = (
        sa.Index("ix_report_region_occurred", "region_id", "occurred_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"), index=True)
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")

    occurred_on: Mapped[date] = mapped_column(sa.Date)
    occurred_precision: Mapped[str] = mapped_column(sa.String(8), default="day")
    part_of_day: Mapped[str | None] = mapped_column(sa.String(16))

    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    place_description_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)

    force_id: Mapped[int | None] = mapped_column(sa.ForeignKey("force.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    unit_description_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    operation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operation.id"))

    narrative_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    # Harm numbers: None when the reporter left the box empty ("leave empty
    # if you do not know"): unknown, which is not the same as 0.
    killed: Mapped[int | None] = mapped_column()
    injured: Mapped[int | None] = mapped_column()
    detained: Mapped[int | None] = mapped_column()
    missing: Mapped[int | None] = mapped_column()
    displaced_households: Mapped[int | None] = mapped_column()
    property_damaged: Mapped[bool] = mapped_column(default=False)
    victims_children: Mapped[bool] = mapped_column(default=False)
    victims_women: Mapped[bool] = mapped_column(default=False)
    victims_elderly: Mapped[bool] = mapped_column(default=False)
    victims_disability: Mapped[bool] = mapped_column(default=False)

    relationship_to_incident: Mapped[str | None] = mapped_column(sa.String(16))
    needs: Mapped[list] = mapped_column(sa.JSON, default=list)

    consent_contact: Mapped[bool] = mapped_column(default=False)
    consent_statistics: Mapped[bool] = mapped_column(default=True)
    consent_referral: Mapped[bool] = mapped_column(default=False)
    contact_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    severity: Mapped[str] = mapped_column(sa.String(8))
    filed_by_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    filed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    has_news: Mapped[bool] = mapped_column(default=False)

    categories: Mapped[list["ReportCategory"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportCategory.category"
    )
    photos: Mapped[list["Photo"]] = relationship(back_populates="report", cascade="all, delete-orphan", order_by="Photo.id")
    messages: Mapped[list["Message"]] = relationship(back_populates="report", order_by="Message.id")
    case = relationship("Case", back_populates="reports", foreign_keys=[case_id])
    region = relationship("Region")
    force = relationship("Force")
    unit = relationship("Unit")
    operation = relationship("Operation")
    filed_by_org = relationship("Organisation")

    @property
    def category_codes(self) -> list[str]:
        return [c.category for c in self.categories]

    # Encrypted fields, exposed as plain properties.
    @property
    def narrative(self) -> str | None:
        return decrypt_text(self.narrative_enc)

    @narrative.setter
    def narrative(self, value: str | None) -> None:
        self.narrative_enc = encrypt_text(value)

    @property
    def place_description(self) -> str | None:
        return decrypt_text(self.place_description_enc)

    @place_description.setter
    def place_description(self, value: str | None) -> None:
        self.place_description_enc = encrypt_text(value)

    @property
    def unit_description(self) -> str | None:
        return decrypt_text(self.unit_description_enc)

    @unit_description.setter
    def unit_description(self, value: str | None) -> None:
        self.unit_description_enc = encrypt_text(value)

    @property
    def contact(self) -> dict | None:
        return decrypt_json(self.contact_enc)

    @contact.setter
    def contact(self, value: dict | None) -> None:
        self.contact_enc = encrypt_json(value) if value and any(value.values()) else None


class ReportCategory(db.Model):
    __tablename__ = "report_category"
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)
    report: Mapped[Report] = relationship(back_populates="categories")


class Photo(db.Model):
    """A re-encoded photo (no metadata), encrypted; the SHA-256 of the bytes
    as uploaded is kept as evidence of integrity."""

    __tablename__ = "photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"), index=True)
    original_sha256: Mapped[str] = mapped_column(sa.String(64))
    original_size: Mapped[int]
    content_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    mime_type: Mapped[str] = mapped_column(sa.String(32), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    report: Mapped[Report] = relationship(back_populates="photos")


class Message(db.Model):
    """A message between the oversight body and one reporter (one report)."""

    __tablename__ = "message"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id"), index=True)
    sender: Mapped[str] = mapped_column(sa.String(16))  # "officer" | "reporter"
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    body_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    report: Mapped[Report] = relationship(back_populates="messages")

    @property
    def body(self) -> str:
        return decrypt_text(self.body_enc) or ""

    @body.setter
    def body(self, value: str) -> None:
        self.body_enc = encrypt_text(value)


class PulseResponse(db.Model):
    """One trust-pulse answer set. Not linked to any report, on purpose.
    A missing answer (None) means "prefer not to say"."""

    __tablename__ = "pulse_response"
    __table_args__ = (sa.Index("ix_pulse_response_region_month", "region_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    force_id: Mapped[int | None] = mapped_column(sa.ForeignKey("force.id"))
    month: Mapped[date] = mapped_column(sa.Date)  # first day of the month, nothing finer
    source: Mapped[str] = mapped_column(sa.String(16), default="standalone")  # or "report"
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    respect: Mapped[int | None] = mapped_column(sa.SmallInteger)
    voice: Mapped[int | None] = mapped_column(sa.SmallInteger)
    fairness: Mapped[int | None] = mapped_column(sa.SmallInteger)
    safe_to_report: Mapped[int | None] = mapped_column(sa.SmallInteger)
    safety: Mapped[int | None] = mapped_column(sa.SmallInteger)
    region = relationship("Region")


class IdempotencyKey(db.Model):
    """Makes a resent submission return the first one's result.

    The key is stored as a keyed hash; the receipt to repeat is encrypted and
    the row is purged after a day by ``sweep``."""

    __tablename__ = "idempotency_key"
    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"))
    receipt_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    #: so that a new report and its key are written by one flush, in order
    report = relationship("Report")
