"""Staff accounts and the organisations they belong to."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.crypto import encrypt_text
from tracker.core.db import utcnow
from tracker.extensions import db

ROLES = {
    "partner": _l("Partner organisation"),
    "officer": _l("Oversight officer"),
    "supervisor": _l("Supervisor"),
    "commander": _l("Commander"),
    "admin": _l("Administrator"),
}


class Organisation(db.Model):
    """A civil-society organisation whose staff file reports for others."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))


user_unit = sa.Table(
    "user_unit",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A staff account. Exactly one of organisation/body/force is set,
    according to the role (partner / officer+supervisor / commander);
    admins belong to none."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oversight_body.id"), index=True)
    force_id: Mapped[int | None] = mapped_column(sa.ForeignKey("force.id"))
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    totp_secret_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_counter: Mapped[int | None] = mapped_column(sa.BigInteger)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    organisation = relationship("Organisation")
    body = relationship("OversightBody")
    force = relationship("Force")
    units = relationship("Unit", secondary=user_unit)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session cookie (signed but readable):
        the user id and session generation, encrypted with the field keys, so
        the cookie shows neither. Bumping ``session_version`` (sign-out,
        credential changes) makes every earlier value useless; see
        tracker.accounts.auth.load_user."""
        return encrypt_text(f"{self.id}:{self.session_version}").decode("ascii")


class ApiToken(db.Model):
    """A bearer token for the staff API. Only a keyed hash is stored; the
    token itself is shown once, when issued."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # first characters, to recognise it in a list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.revoked_at is None
