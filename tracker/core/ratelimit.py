"""Rate-limit keys that never contain an IP address.

The limiter needs to count requests per client. We key the counter by an
HMAC of the address under a secret that changes every day, so neither the
storage (memory or Redis) nor any log line ever holds the address itself,
and yesterday's keys cannot be linked to today's.
"""
import hashlib
import hmac
from datetime import date

from flask import current_app, request


def client_key() -> str:
    addr = (request.remote_addr or "unknown").encode()
    secret = current_app.config["SECRET_KEY"]
    if isinstance(secret, str):
        secret = secret.encode()
    day = date.today().isoformat().encode()
    return hmac.new(secret + day, addr, hashlib.sha256).hexdigest()[:32]
