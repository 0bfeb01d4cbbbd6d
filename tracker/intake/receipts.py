"""Receipt codes: 16 random digits, shown once, stored only as a keyed slow hash.

The code looks like a phone number (four groups of four), so it is easy to
copy down in any script. Reporters may type it back with spaces or dashes, in
Arabic-Indic, Eastern Arabic-Indic (Persian) or full-width digits, or paste it
with the invisible direction marks that surround it on an Arabic page.
"""
import secrets
import unicodedata

from tracker.core.crypto import receipt_hash

RECEIPT_DIGITS = 16

# Separators people type or paste between the groups; bidi controls come
# along when the code is copied from a right-to-left page.
_SEPARATORS = set(
    " \t\n\r\u00a0\u2007\u202f\u3000"  # spaces, incl. no-break and ideographic
    "-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"  # hyphens and dashes
    ".\uff0e"
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"  # bidi marks
)


def generate_receipt() -> str:
    """16 uniformly random digits (the first may be 0), from ``secrets``."""
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def format_receipt(digits: str) -> str:
    """``"1234567812345678"`` → ``"1234 5678 1234 5678"``."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def normalise_receipt(text) -> str | None:
    """The 16 ASCII digits of a typed receipt, or None if it cannot be one.

    Any Unicode decimal digit (Arabic-Indic, Eastern Arabic-Indic, full-width …)
    counts as its value; spaces, dashes, dots and direction marks are ignored;
    anything else makes the text invalid.
    """
    if not isinstance(text, str) or len(text) > 100:
        return None
    out = []
    for ch in text:
        if ch in _SEPARATORS:
            continue
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
            continue
        return None
    digits = "".join(out)
    return digits if len(digits) == RECEIPT_DIGITS else None


def hash_receipt(digits: str) -> str:
    """The lookup key stored in ``Report.receipt_hash`` (scrypt over an HMAC
    with the server pepper; see tracker.core.crypto.receipt_hash)."""
    return receipt_hash(digits)
