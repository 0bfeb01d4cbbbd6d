"""Outgoing mail over SMTP (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS,
MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER).

Without MAIL_SERVER (development) the message is written to the log.
Callers must never put reporter data in a mail: case references,
severities and links only.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def build_message(to: list[str], subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_DEFAULT_SENDER") or "tracker@localhost"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def send_mail(to: list[str], subject: str, body: str) -> bool:
    """Send one plain-text message to ``to``. Returns True if it was handed
    to an SMTP server, False if it was only logged; raises MailError if the
    server failed."""
    to = [addr for addr in to if addr]
    if not to:
        return False
    msg = build_message(to, subject, body)
    cfg = current_app.config
    server = cfg.get("MAIL_SERVER")
    if not server:
        current_app.logger.info("Mail (no MAIL_SERVER configured):\n%s", msg.as_string())
        return False
    try:
        with smtplib.SMTP(server, int(cfg.get("MAIL_PORT") or 25), timeout=float(cfg.get("MAIL_TIMEOUT", 10))) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("Mail to %d recipient(s) failed: %s", len(to), exc.__class__.__name__)
        raise MailError(str(exc)) from exc
    return True
