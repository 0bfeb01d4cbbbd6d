"""Staff password hashing: argon2id, parameters from configuration.

DESIGN §8: argon2id, at least 12 characters. When the configured
parameters change, the stored hash is upgraded at the next sign-in.
"""
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte-long "password" is a cheap DoS


class PasswordPolicyError(ValueError):
    """The password does not meet the policy (the message is translatable)."""


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    params = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    ext = current_app.extensions.setdefault("tracker_argon2", {})
    if ext.get("params") != params:
        ext["params"] = params
        ext["hasher"] = PasswordHasher(
            time_cost=params[0], memory_cost=params[1], parallelism=params[2], type=Type.ID
        )
    return ext["hasher"]


def check_policy(password: str) -> None:
    """Raise PasswordPolicyError unless the password is 12–1024 characters."""
    from flask_babel import lazy_gettext as _l

    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            _l("The password must be at least %(n)s characters long.", n=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(_l("The password is too long."))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches. Never raises on a malformed hash."""
    if not stored_hash or password is None or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than configured now."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


_DUMMY: dict[str, str] = {}


def burn_time(password: str) -> None:
    """Spend the time of one verification, so that an unknown email takes as
    long as a wrong password (no account enumeration by timing)."""
    params = current_app.extensions.get("tracker_argon2", {}).get("params")
    if _DUMMY.get("params") != repr(params) or "hash" not in _DUMMY:
        _DUMMY["hash"] = hash_password("dummy-password-for-timing")
        _DUMMY["params"] = repr(current_app.extensions["tracker_argon2"]["params"])
    verify_password(_DUMMY["hash"], password or "")
