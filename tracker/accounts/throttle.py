"""Sign-in throttling that slows guessing but cannot lock anyone out
(issue 8 item 3, DESIGN §8).

Why no lockout: "five wrong passwords lock the account for 15 minutes" is a
switch any stranger can flip, from any number of addresses, to keep an
officer out of their cases. So nothing here refuses the right password and
the right second factor of an account, whatever others send. Instead:

- **Per address** (this module): failures from one client address are
  counted under a keyed hash of the address (tracker.core.ratelimit:
  HMAC under a key that changes daily; the address itself is never
  stored, not even hashed in the database) in the rate-limit storage
  (memory, or Redis shared by the workers), for LOGIN_ADDRESS_WINDOW
  seconds. After LOGIN_ADDRESS_FREE failures each further failure makes
  that address wait 1, 2, 4 … seconds (at most LOGIN_ADDRESS_MAX_DELAY)
  before its next attempt is even looked at. Only the guesser's address
  waits; an officer elsewhere is not affected.
- **Per account** (accounts.services): failures since the last successful
  sign-in are counted on the account. From LOGIN_GUARD_AFTER failures on,
  the account is *guarded*: a password is only ever answered together
  with a second factor. The password step leads to the code step whether
  the password was right or not, and only password and code together
  open a session. A guesser therefore learns nothing from a password
  guess without also holding the officer's current code: guessing becomes
  useless, not merely slow, while the officer, who has both, signs in as
  usual from any address. Accounts without an authenticator app get a
  one-time code by e-mail instead, sent only when the password was right.
- **Second-factor failures** (a wrong code after a right password, which
  only someone who knows the password can cause) are counted per account
  here too, with the same growing delays.
- Every failure keeps its audit event; the account owner and the admins
  are told by e-mail when failures reach LOGIN_NOTICE_AFTER, and again at
  each tenfold (services.notify_failures).
"""
from __future__ import annotations

import time

from flask import current_app

from tracker.extensions import limiter

WAIT_PREFIX = "login-wait"
FAIL_PREFIX = "login-fail"


def _cfg(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _storage():
    """The rate-limit storage, or None when rate limiting is switched off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    try:
        return limiter.storage
    except (AttributeError, RuntimeError):
        return None


def wait_seconds(key: str) -> int:
    """Seconds ``key`` (an address hash, or ``code:<user id>``) must still
    wait before its next attempt is looked at; 0 when it may try now."""
    storage = _storage()
    if storage is None:
        return 0
    wait_key = f"{WAIT_PREFIX}:{key}"
    if storage.get(wait_key) <= 0:
        return 0
    return max(1, int(round(storage.get_expiry(wait_key) - time.time())))


def delay_for(failures: int) -> int:
    """The growing delay after ``failures`` failures: none for the first
    LOGIN_ADDRESS_FREE, then 1, 2, 4 … seconds up to LOGIN_ADDRESS_MAX_DELAY."""
    free = _cfg("LOGIN_ADDRESS_FREE", 5)
    if failures < free:
        return 0
    return min(2 ** min(failures - free, 30), _cfg("LOGIN_ADDRESS_MAX_DELAY", 300))


def record_failure(key: str) -> int:
    """Count one failure for ``key`` and start its delay; returns the delay
    in seconds (0 while failures are still free)."""
    storage = _storage()
    if storage is None:
        return 0
    failures = storage.incr(f"{FAIL_PREFIX}:{key}", _cfg("LOGIN_ADDRESS_WINDOW", 3600))
    delay = delay_for(failures)
    if delay:
        storage.clear(f"{WAIT_PREFIX}:{key}")
        storage.incr(f"{WAIT_PREFIX}:{key}", delay)
    return delay


def forget(key: str) -> None:
    """A success clears the failures of ``key`` (used for second-factor
    counters; an address keeps its count, it may be a guesser's NAT)."""
    storage = _storage()
    if storage is None:
        return
    storage.clear(f"{FAIL_PREFIX}:{key}")
    storage.clear(f"{WAIT_PREFIX}:{key}")


def code_key(user_id: int) -> str:
    """The counter of second-factor failures of one account."""
    return f"code:{user_id}"
