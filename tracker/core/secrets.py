"""Loading, generating and checking the three secrets the application needs."""
import base64
import json
import os
import secrets

from flask import Flask

REQUIRED_SECRETS = ("SECRET_KEY", "TRACKER_FIELD_KEYS", "TRACKER_RECEIPT_PEPPER")


class MissingSecretError(RuntimeError):
    """Raised when production starts without one of its secrets."""


def _generate(name: str) -> str:
    if name == "TRACKER_FIELD_KEYS":
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(48)


def configure_secrets(app: Flask) -> None:
    """Fill in SECRET_KEY, TRACKER_FIELD_KEYS and TRACKER_RECEIPT_PEPPER.

    Development keeps generated secrets in ``instance/secrets.json`` (mode
    0600) so that data encrypted yesterday can still be read today.
    Production refuses to start, naming the missing variable.
    """
    missing = [name for name in REQUIRED_SECRETS if not app.config.get(name)]
    if not missing:
        return
    if not app.config.get("GENERATE_MISSING_SECRETS"):
        raise MissingSecretError(
            "Tracker refuses to start: the environment variable(s) "
            + ", ".join(missing)
            + " must be set in production. See README.md, 'Production'."
        )
    path = os.path.join(app.instance_path, "secrets.json")
    stored: dict[str, str] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
    changed = False
    for name in missing:
        if name not in stored:
            stored[name] = _generate(name)
            changed = True
        app.config[name] = stored[name]
    if changed:
        os.makedirs(app.instance_path, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(stored, fh, indent=2)
        app.logger.info("Generated development secrets in %s", path)
