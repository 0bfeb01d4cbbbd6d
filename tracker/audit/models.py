"""The append-only, hash-chained audit log."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.db import utcnow
from tracker.extensions import db


class AuditEvent(db.Model):
    """One event. ``data`` holds codes and ids only, never reporter identity,
    narratives, contact details or receipt codes."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(48), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    actor_role: Mapped[str] = mapped_column(sa.String(16))  # "reporter", "system", or a staff role
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oversight_body.id"), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(24))
    object_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
