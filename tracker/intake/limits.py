"""Rate limits of the reporter's side (DESIGN §8, §8c), one set for the HTML
forms and the JSON API: the same counter per address whichever way a report
or a receipt lookup comes in.

What we chose, and why
----------------------
Reports come from villages behind one carrier-grade NAT address, so a
per-address limit must be large, and it must never refuse a retry of a report
that is already filed. Receipt guessing is the expensive attack: every lookup
costs one scrypt receipt hash (~40 ms of CPU with the production
parameters), so a few dozen guesses a second from many addresses would eat
the CPU that intake needs. The guard therefore has four parts, all checked
*before* any expensive work (scrypt, photo processing) runs:

1. **Retries are free.** A report whose idempotency key is already filed is
   answered from the database without touching a counter (the view checks
   that first). A key that was admitted once but not filed yet (the first
   attempt was lost, or came back with a field to correct) is let through
   again without counting, up to RETRY_ALLOWANCE times an hour.
2. **Per address, sized for a village.** RATELIMIT_REPORT (default 300 an
   hour) reports per address, form and API sharing one counter. Failed
   receipt lookups: RATELIMIT_FOLLOWUP per address, tested before the hash
   runs and counted only when the code was wrong.
3. **Fair share under pressure.** While intake as a whole runs above
   RATELIMIT_REPORT_PRESSURE (default 100 reports in 10 seconds, a sliding
   window, a third of what two cores file; a burst of held reports sent at
   once when a village's signal returns is not pressure), an address that already filed RATELIMIT_REPORT_SHARE
   (default 20) reports this hour waits a minute: one flooding address (or
   a few) cannot starve everyone else, and a quiet site still accepts a
   whole village from one address.
4. **A global budget of receipt hashes for lookups.** Lookups may spend at
   most RATELIMIT_LOOKUP_GLOBAL hashes a second (default 2) for addresses
   with no wrong code this hour, and RATELIMIT_LOOKUP_SUSPECT (default 1)
   for addresses that have guessed wrong, or were refused by the first pool
   (a guesser refused before any hash is marked all the same, so the first
   pool is not taken by guessers each time it refills). Past the budget a lookup is
   refused cheaply with Retry-After (the budget's window slides, so it is
   never spent twice over at a window's edge), so a guess flood from any number of
   addresses can take at most ~3 hashes a second (under a tenth of two
   cores) from intake, and a reporter with a right code, whose address has
   not been guessing, draws from the pool the guessers cannot empty.

We did not choose a proof-of-work (as GlobaLeaks does): a phone pays it on
every report even though the attack it stops is a lookup flood that a
global hash budget bounds exactly; it needs JavaScript (the no-JavaScript
path would be a plain wait, which costs an attacker nothing); and a botnet
pays it more cheaply than a village phone. The price of our choice: during
a guess flood, follow-up lookups from addresses that guessed wrong wait a
second or two, and a report flood spread over many addresses that each stay
within their share cannot be told from a real surge (the reverse proxy's
connection limits are the next line).

During a flood most guesses come from addresses already marked, while the
suspect pool is spent. Each worker remembers for a moment what the counters
told it (a pool found spent, for half its refill interval; an address found
guessing, for a minute) and refuses such a guess without a storage round
trip. The memory only ever refuses: a guess it lets by is checked against
the counters as before, so no worker can spend more than the budgets.

Counters live in the Flask-Limiter storage (memory, or Redis with
REDIS_URL), keyed by tracker.core.ratelimit.client_key (a keyed hash of the
address that changes daily): no address is stored or logged. When the
storage cannot be reached the limits fail open: a report is never lost
because Redis is down.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import format_timedelta
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many
from limits.strategies import SlidingWindowCounterRateLimiter

from tracker.core.ratelimit import client_key
from tracker.extensions import limiter

log = logging.getLogger(__name__)

# Counter scopes; the form and the API use the same ones.
REPORT_SCOPE = "report-submission"
LOOKUP_SCOPE = "receipt-lookup"
PULSE_SCOPE = "pulse-answers"
_PRESSURE_SCOPE = "report-pressure"
_LOOKUP_GLOBAL_SCOPE = "lookup-global"
_LOOKUP_SUSPECT_SCOPE = "lookup-suspect"
_RETRY_SCOPE = "report-retry"
_GLOBAL = "all"

RETRY_ALLOWANCE = 10  # free re-sends of one admitted idempotency key per hour
DRY_RECALL = 0.5  # share of a spent pool's refill interval this worker refuses it without asking the storage
SUSPECT_RECALL = 60  # seconds this worker remembers an address it found guessing
_RECALL_SIZE = 20_000  # addresses remembered at most (a dictionary of hashes, ~2 MB)
PRESSURE_WAIT = 60  # seconds an over-share address waits while intake is under pressure


@dataclass(frozen=True)
class Refusal:
    """A request refused by a limit: why (``address``: this address used its
    allowance; ``busy``: the site is under pressure) and in how many seconds
    to try again (for Retry-After and the message)."""

    reason: str
    retry_after: int


def refusal_message(refusal: Refusal, what: str) -> str:
    """What to tell the reader, in the current locale, including when to try
    again (``what``: ``report``, ``lookup`` or ``pulse``)."""
    when = format_timedelta(timedelta(seconds=refusal.retry_after), add_direction=True)
    if refusal.reason == "busy":
        if what == "report":
            return _("The site is very busy right now. Please send your report again %(when)s.", when=when)
        return _("The site is very busy right now. Please try again %(when)s.", when=when)
    if what == "report":
        return _("Many reports have been sent from your connection in the last hour. "
                 "Please send yours again %(when)s.", when=when)
    if what == "pulse":
        return _("Many answers have been sent from your connection in the last hour. "
                 "Please send yours again %(when)s.", when=when)
    return _("Too many wrong codes were tried from your connection. Please try again %(when)s.", when=when)


class _Recall:
    """What this worker learned from the counters a moment ago: pools found
    spent (until when, and the wait to announce) and addresses found guessing
    (by their keyed hash, until when). Only ever used to refuse."""

    def __init__(self) -> None:
        self.dry: dict[str, tuple[float, int]] = {}
        self.suspects: dict[str, float] = {}

    def spent(self, scope: str, now: float) -> int | None:
        until, wait = self.dry.get(scope, (0.0, 0))
        return wait if now < until else None

    def note_spent(self, scope: str, wait: int, now: float) -> None:
        self.dry[scope] = (now + DRY_RECALL * wait, wait)

    def suspect(self, address: str, now: float) -> bool:
        return self.suspects.get(address, 0.0) > now

    def note_suspect(self, address: str, now: float) -> None:
        if len(self.suspects) >= _RECALL_SIZE:
            self.suspects = {a: t for a, t in self.suspects.items() if t > now}
            if len(self.suspects) >= _RECALL_SIZE:
                self.suspects.clear()
        self.suspects[address] = now + SUSPECT_RECALL


def _recall() -> _Recall:
    """This worker's recall, one per application (a test's app starts empty)."""
    return current_app.extensions.setdefault("tracker.intake.limits.recall", _Recall())


def _items(name: str) -> list[RateLimitItem]:
    value = current_app.config.get(name)
    return list(parse_many(value)) if value else []


def _take(name: str, *ids: str) -> int | None:
    """Count one request against every limit of config ``name``; None if all
    allow it, else the seconds until the first exhausted one frees up. One
    storage call per limit (a refused request is counted too, which changes
    nothing: it was over the limit already)."""
    strategy = limiter.limiter
    for item in _items(name):
        if not strategy.hit(item, *ids):
            reset_at, _remaining = strategy.get_window_stats(item, *ids)
            return max(1, math.ceil(reset_at - time.time()))
    return None


def _spend(name: str, *ids: str) -> int | None:
    """Spend one unit of the shared budget of config ``name`` (a sliding
    window); None if there was one, else the seconds after which one unit
    is back on average (the window over its amount): one storage call, also
    when refusing, since a flood is refused many times a second."""
    strategy = _budget()
    for item in _items(name):
        if not strategy.hit(item, *ids):
            return max(1, math.ceil(item.get_expiry() / item.amount))
    return None


def _budget() -> SlidingWindowCounterRateLimiter:
    """The strategy of the global hash budgets and of the pressure gauge: a sliding window (weighted
    over the current and the previous window, one storage call), so that a
    flood cannot spend a window's budget at its end and the next one's at its
    start, twice the budget in a moment (fixed windows allow it). A strategy
    holds nothing but its storage: made per call, it follows the limiter's."""
    return SlidingWindowCounterRateLimiter(limiter.storage)


def _used(name: str, *ids: str) -> int:
    """How much of the longest limit of config ``name`` is used."""
    items = _items(name)
    if not items:
        return 0
    item = max(items, key=lambda i: i.get_expiry())
    _reset, remaining = limiter.limiter.get_window_stats(item, *ids)
    return item.amount - remaining


def _active() -> bool:
    return bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))


def _fail_open(what: str, exc: Exception) -> None:
    # Never the address or its key: only what failed.
    log.warning("rate-limit storage unavailable (%s): %s; letting the request through", what, type(exc).__name__)


def admit_report(retry_token: str | None = None, scope: str = REPORT_SCOPE, config: str = "RATELIMIT_REPORT") -> Refusal | None:
    """Admit one report submission from this address, or say why not.

    ``retry_token`` is a keyed hash of the submission's idempotency key (never
    the key itself): a token admitted before passes again without counting,
    up to RETRY_ALLOWANCE times an hour. Call it after checking that the key
    is not already filed (a filed key is always answered, never counted).
    """
    if not _active():
        return None
    try:
        seen = 0
        if retry_token:
            # One call both notes this attempt and says how many came before
            # (1: this is the first); a refused first attempt is forgotten
            # below, so that its resend is counted like any new report.
            seen = limiter.storage.incr(f"{_RETRY_SCOPE}/{retry_token}", 3600)
            if 1 < seen <= RETRY_ALLOWANCE + 1:
                return None
        refusal = _admit_new_report(scope, config)
        if refusal is not None and seen == 1:
            limiter.storage.clear(f"{_RETRY_SCOPE}/{retry_token}")
        return refusal
    except Exception as exc:  # noqa: BLE001 - a storage outage must not refuse reports
        _fail_open("report", exc)
    return None


def _admit_new_report(scope: str, config: str) -> Refusal | None:
    """The per-address and pressure limits of admit_report, for a submission
    that is not a free retry."""
    address = client_key()
    # Every attempt counts towards the pressure gauge (one call), a sliding
    # window: pressure is a sustained rate, not the burst of one moment.
    busy = _spend("RATELIMIT_REPORT_PRESSURE", _PRESSURE_SCOPE, _GLOBAL) is not None
    share = current_app.config.get("RATELIMIT_REPORT_SHARE")
    if busy and share is not None and _used(config, scope, address) >= share:
        return Refusal("busy", PRESSURE_WAIT)
    wait = _take(config, scope, address)
    return Refusal("address", wait) if wait is not None else None


def admit_pulse() -> Refusal | None:
    """Admit one standalone trust-pulse answer set (RATELIMIT_PULSE, else
    RATELIMIT_REPORT, per address; form and API share the counter)."""
    config = "RATELIMIT_PULSE" if current_app.config.get("RATELIMIT_PULSE") else "RATELIMIT_REPORT"
    if not _active():
        return None
    try:
        wait = _take(config, PULSE_SCOPE, client_key())
    except Exception as exc:  # noqa: BLE001
        _fail_open("pulse", exc)
        return None
    return Refusal("address", wait) if wait is not None else None


def admit_lookup(*, hashing: bool = True) -> Refusal | None:
    """Admit one receipt lookup, BEFORE its receipt hash is computed.

    Refused when this address has used its allowance of wrong codes
    (RATELIMIT_FOLLOWUP), or when the global hash budget for lookups is spent
    this second (RATELIMIT_LOOKUP_GLOBAL for addresses with no wrong code this
    hour, RATELIMIT_LOOKUP_SUSPECT for those with one). ``hashing=False``
    (the typed code is not even 16 digits, so nothing will be hashed) checks
    the address only and spends nothing of the global budget. Call
    lookup_failed() when the code turns out to be wrong.
    """
    if not _active():
        return None
    try:
        address = client_key()
        recall, now = _recall(), time.time()
        if hashing and recall.suspect(address, now):
            # A guesser while the suspect pool is spent: refused from memory,
            # as the counters would (their address limit, if reached, is
            # checked on the first guess once the pool has a hash again).
            wait = recall.spent(_LOOKUP_SUSPECT_SCOPE, now)
            if wait is not None:
                return Refusal("busy", wait)
        suspect = False
        for item in _items("RATELIMIT_FOLLOWUP"):
            # The count alone (one storage call; get_window_stats takes two):
            # the window's reset is read only to refuse.
            key = item.key_for(LOOKUP_SCOPE, address)
            wrong = limiter.storage.get(key)
            if wrong >= item.amount:
                recall.note_suspect(address, now)
                return Refusal("address", max(1, math.ceil(limiter.storage.get_expiry(key) - time.time())))
            suspect = suspect or wrong > 0
        if suspect:
            recall.note_suspect(address, now)
        if not hashing:
            return None
        pool, scope = (("RATELIMIT_LOOKUP_SUSPECT", _LOOKUP_SUSPECT_SCOPE) if suspect
                       else ("RATELIMIT_LOOKUP_GLOBAL", _LOOKUP_GLOBAL_SCOPE))
        wait = recall.spent(scope, now)
        if wait is None:
            wait = _spend(pool, scope, _GLOBAL)
            if wait is not None:
                recall.note_spent(scope, wait, now)
        if wait is not None:
            if not suspect:
                # Refused for the budget: this address draws from the suspect
                # pool from now on. Otherwise guessers whose guesses were all
                # refused (never hashed, so never "wrong") would keep taking
                # the clean pool each time it refills, ahead of the reporters
                # it is kept for.
                _count_wrong(address)
            return Refusal("busy", wait)
    except Exception as exc:  # noqa: BLE001
        _fail_open("lookup", exc)
    return None


def _count_wrong(address: str) -> None:
    for item in _items("RATELIMIT_FOLLOWUP"):
        limiter.limiter.hit(item, LOOKUP_SCOPE, address)
    _recall().note_suspect(address, time.time())


def lookup_failed() -> None:
    """Count a wrong (or unreadable) receipt against this address."""
    if not _active():
        return
    try:
        _count_wrong(client_key())
    except Exception as exc:  # noqa: BLE001
        _fail_open("lookup", exc)
