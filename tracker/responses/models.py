"""Commander responses and their translations.

The tables keep the names they had when the model lived in
tracker.metrics.models (``commander_response``), so moving the code needed
no data migration; translations are a new table (migration 0010)."""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.db import utcnow
from tracker.extensions import db

RESPONSE_STATUSES = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for approval"),
    "approved": _l("Approved and published"),
    "returned": _l("Returned for changes"),
}


class CommanderResponse(db.Model):
    """What a commander did about an alert or a trend ("you said, we did").

    Written by a commander of ``force_id`` in ``language``; a supervisor of
    an oversight body that oversees the force approves it (then it is
    public) or returns it with a note. Status changes go through
    tracker.responses.workflow only."""

    __tablename__ = "commander_response"
    __table_args__ = (sa.Index("ix_commander_response_status", "status", "force_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    force_id: Mapped[int] = mapped_column(sa.ForeignKey("force.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    grain: Mapped[str] = mapped_column(sa.String(5), default="month")
    period_start: Mapped[date] = mapped_column(sa.Date)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    alert_key: Mapped[str | None] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    force = relationship("Force")
    region = relationship("Region")
    unit = relationship("Unit")
    author = relationship("User", foreign_keys=[author_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    translations: Mapped[list["ResponseTranslation"]] = relationship(
        back_populates="response", order_by="ResponseTranslation.language", cascade="all, delete-orphan"
    )

    def translation(self, language: str) -> "ResponseTranslation | None":
        return next((t for t in self.translations if t.language == language), None)


class ResponseTranslation(db.Model):
    """A supervisor's translation of an approved response into one shipped
    language (at most one per language; a new one replaces it)."""

    __tablename__ = "commander_response_translation"
    __table_args__ = (sa.UniqueConstraint("response_id", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("commander_response.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(8))
    text: Mapped[str] = mapped_column(sa.Text)
    translator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    response: Mapped[CommanderResponse] = relationship(back_populates="translations")
    translator = relationship("User")
