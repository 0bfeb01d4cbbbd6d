"""Field encryption and keyed hashing. The only module that imports ``cryptography``.

Keys come from TRACKER_FIELD_KEYS: a comma-separated list of Fernet keys.
The first key encrypts; every key decrypts, so a key can be rotated by
putting a new one first and re-encrypting at leisure (``rotate()``).
"""
import functools
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DecryptionError(Exception):
    """The ciphertext was made with a key that is no longer configured."""


def _keys_from_config(value: str) -> list[Fernet]:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ValueError("TRACKER_FIELD_KEYS is empty")
    try:
        return [Fernet(k.encode()) for k in keys]
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "TRACKER_FIELD_KEYS must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)"
        ) from exc


def _cipher() -> MultiFernet:
    ext = current_app.extensions.setdefault("tracker_crypto", {})
    raw = current_app.config["TRACKER_FIELD_KEYS"]
    if ext.get("raw") != raw:
        keys = _keys_from_config(raw)
        ext["raw"] = raw
        ext["cipher"] = MultiFernet(keys)
        ext["first"] = keys[0]
    return ext["cipher"]


def key_count() -> int:
    """How many field keys are configured (the first encrypts)."""
    _cipher()
    return len(_keys_from_config(current_app.config["TRACKER_FIELD_KEYS"]))


def validate_keys(value: str) -> None:
    """Raise ValueError if the configured keys are unusable."""
    _keys_from_config(value)


def encrypt_bytes(data: bytes | None) -> bytes | None:
    if data is None:
        return None
    return _cipher().encrypt(data)


def decrypt_bytes(token: bytes | None) -> bytes | None:
    if token is None:
        return None
    try:
        return _cipher().decrypt(bytes(token))
    except InvalidToken as exc:
        raise DecryptionError("field cannot be decrypted with the configured keys") from exc


def encrypt_text(text: str | None) -> bytes | None:
    if text is None or text == "":
        return None
    return encrypt_bytes(text.encode("utf-8"))


def decrypt_text(token: bytes | None) -> str | None:
    data = decrypt_bytes(token)
    return None if data is None else data.decode("utf-8")


def encrypt_json(value: Any) -> bytes | None:
    if value is None:
        return None
    return encrypt_bytes(json.dumps(value, ensure_ascii=False, sort_keys=True).encode())


def decrypt_json(token: bytes | None) -> Any:
    data = decrypt_bytes(token)
    return None if data is None else json.loads(data)


def rotate(token: bytes | None) -> bytes | None:
    """Re-encrypt a token under the first (current) key."""
    if token is None:
        return None
    return _cipher().rotate(bytes(token))


def under_first_key(token: bytes | None) -> bool:
    """Whether ``token`` is already encrypted with the first key (nothing to rotate)."""
    if token is None:
        return True
    _cipher()
    try:
        current_app.extensions["tracker_crypto"]["first"].decrypt(bytes(token))
    except InvalidToken:
        return False
    return True


def rotate_if_needed(token: bytes | None) -> bytes | None:
    """``token`` re-encrypted under the first key, or None when it already is.
    Raises DecryptionError when no configured key opens it."""
    if under_first_key(token):
        return None
    try:
        return rotate(token)
    except InvalidToken as exc:
        raise DecryptionError("field cannot be decrypted with the configured keys") from exc


def _pepper() -> bytes:
    pepper = current_app.config["TRACKER_RECEIPT_PEPPER"]
    return pepper.encode() if isinstance(pepper, str) else pepper


def keyed_hash(value: str, purpose: str) -> str:
    """Fast keyed hash (HMAC-SHA256) for lookups that need no slowness:
    idempotency keys, search-index tokens. ``purpose`` separates domains."""
    mac = _purpose_mac(_pepper(), purpose).copy()
    mac.update(value.encode("utf-8"))
    return mac.hexdigest()


@functools.lru_cache(maxsize=64)
def _purpose_mac(pepper: bytes, purpose: str):
    """HMAC keyed with HMAC(pepper, purpose), ready to be copied: a report's
    twenty-odd search tokens then cost one HMAC each, not two and a key
    setup."""
    key = hmac.new(pepper, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def receipt_hash(digits: str) -> str:
    """Keyed slow hash of a receipt code: scrypt over HMAC(pepper, digits).

    Without the pepper the hash cannot be attacked offline at all; with it,
    scrypt makes each of the 10^16 guesses expensive.
    """
    keyed = hmac.new(_pepper(), digits.encode(), hashlib.sha256).digest()
    n = current_app.config.get("RECEIPT_SCRYPT_N", 2**14)
    out = hashlib.scrypt(keyed, salt=b"tracker-receipt-v1", n=n, r=8, p=1, dklen=32, maxmem=128 * 1024 * 1024)
    return out.hex()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
