"""Values kept in Flask's session cookie, encrypted with the field keys.

The cookie is signed but readable; what it holds here (a sign-in in
progress, the report a reporter looked up) must not be: these two helpers
are the one way to keep such a value and read it back."""
from flask import session

from tracker.core.crypto import DecryptionError, decrypt_json, encrypt_json


def put_encrypted(key: str, value: dict) -> None:
    """Keep ``value`` (JSON) under ``key`` in the session, encrypted."""
    session[key] = encrypt_json(value).decode("ascii")


def get_encrypted(key: str) -> dict | None:
    """The dict kept by put_encrypted, or None (absent, or not ours)."""
    raw = session.get(key)
    if not isinstance(raw, str):
        return None
    try:
        value = decrypt_json(raw.encode("ascii"))
    except (DecryptionError, ValueError, UnicodeError):
        return None
    return value if isinstance(value, dict) else None
