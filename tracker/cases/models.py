"""Cases: one or more reports about the same incident, owned by one body."""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.crypto import decrypt_text, encrypt_text
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.statuses import OUTCOMES, STATES  # noqa: F401 - the workflow's vocabulary, defined with the reporter's

VERIFICATION_GRADES = {
    "unverified": _l("Unverified"),
    "plausible": _l("Plausible"),
    "credible": _l("Credible (more likely than not)"),
    "confirmed": _l("Confirmed"),
    "contested": _l("Contested"),
    "discounted": _l("Discounted"),
}


class Case(db.Model):
    __tablename__ = "case"
    __table_args__ = (
        # Queue order: severity then age, keyset-paginated.
        sa.Index("ix_case_queue", "body_id", "severity_rank", "created_at", "id"),
        # The counts at the top of the queue (critical, overdue, news,
        # proposed) each read one narrow index range, not the open cases.
        sa.Index("ix_case_state", "body_id", "state", "severity_rank"),
        sa.Index("ix_case_due", "body_id", "state", "triage_due_at"),
        sa.Index("ix_case_news", "body_id", "has_news"),
        sa.Index("ix_case_proposed", "body_id", "escalation_proposed_at"),
        # The other orders the queue offers (newest/oldest, recently changed).
        sa.Index("ix_case_created", "body_id", "created_at", "id"),
        sa.Index("ix_case_updated", "body_id", "updated_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(20), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="new")
    severity: Mapped[str] = mapped_column(sa.String(8))
    severity_rank: Mapped[int] = mapped_column(sa.SmallInteger)  # 0 = critical
    severity_overridden: Mapped[bool] = mapped_column(default=False)
    verification: Mapped[str] = mapped_column(sa.String(16), default="unverified")
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oversight_body.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    # Denormalised from the first report, for filters and rollups.
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    force_id: Mapped[int | None] = mapped_column(sa.ForeignKey("force.id"), index=True)
    occurred_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    triage_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime, index=True)
    triaged_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    has_news: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"))
    referred_to: Mapped[str | None] = mapped_column(sa.String(200))
    # Where "resume" returns a case that was waiting on the reporter.
    paused_from: Mapped[str | None] = mapped_column(sa.String(16))
    # An officer proposed escalation; cleared when a supervisor escalates.
    escalation_proposed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Supervisors were told about the escalation: ``sweep`` retries a failed
    # mail and never sends one twice.
    escalation_notified_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    reports = relationship("Report", back_populates="case", foreign_keys="Report.case_id", order_by="Report.id")
    body = relationship("OversightBody")
    region = relationship("Region")
    force = relationship("Force")
    assigned_to = relationship("User")
    merged_into = relationship("Case", remote_side=[id])



NOTE_KINDS = {
    "note": _l("Internal note"),
    "reason": _l("Reason"),
}


class CaseNote(db.Model):
    """An internal note, or the written reason for a move (reject, escalate,
    refer, reopen, severity override, contact reveal). Encrypted at rest:
    staff may quote the reporter. Audit events point here by id."""

    __tablename__ = "case_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="note")
    action: Mapped[str | None] = mapped_column(sa.String(32))
    body_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author = relationship("User")

    @property
    def body(self) -> str:
        return decrypt_text(self.body_enc) or ""

    @body.setter
    def body(self, value: str) -> None:
        self.body_enc = encrypt_text(value) or encrypt_text(" ")


class CaseSearchToken(db.Model):
    """Search index: keyed hashes of the normalised words of a report's
    narrative. No word is stored in clear; without the server pepper the
    hashes cannot be tested against a dictionary."""

    __tablename__ = "case_search_token"
    __table_args__ = (sa.Index("ix_case_search_token_lookup", "token_hash", "case_id"),)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
