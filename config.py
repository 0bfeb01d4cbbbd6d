"""Configuration classes. Pick one with TRACKER_CONFIG or ``create_app(cfg)``.

Secrets come from the environment. Development generates missing ones into
the instance folder on first start; production refuses to start without them.
"""
import os
from datetime import timedelta


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_days(name: str) -> int | None:
    """A number of days from the environment; unset or empty: None (keep)."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None


class Config:
    # Secrets (see tracker.core.secrets): None means "not configured".
    SECRET_KEY = os.environ.get("SECRET_KEY")
    TRACKER_FIELD_KEYS = os.environ.get("TRACKER_FIELD_KEYS")
    TRACKER_RECEIPT_PEPPER = os.environ.get("TRACKER_RECEIPT_PEPPER")
    GENERATE_MISSING_SECRETS = False

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default set in create_app
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية", "pt_BR": "Português (Brasil)",
                 "fil": "Filipino"}
    RTL_LANGUAGES = {"ar"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Uploads: up to 5 photos of 10 MB each, plus the form itself.
    MAX_PHOTOS = 5
    MAX_PHOTO_BYTES = 10 * 1024 * 1024
    MAX_PHOTO_PIXELS = 40_000_000
    MAX_CONTENT_LENGTH = 5 * 10 * 1024 * 1024 + 512 * 1024
    MAX_JSON_BYTES = 64 * 1024

    # Receipt hashing: scrypt over an HMAC of the receipt with the pepper.
    RECEIPT_SCRYPT_N = 2**14

    # Rate limits (Flask-Limiter). Redis when several servers share counters.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_ENABLED = True
    # Reporter-side limits: see tracker.intake.limits for what each one guards.
    # Sized for two cores; TRACKER_<NAME> in the environment overrides each
    # (e.g. TRACKER_RATELIMIT_LOOKUP_GLOBAL="4 per second" on a bigger server).
    # per address (a village behind one carrier NAT), form + API
    RATELIMIT_REPORT = os.environ.get("TRACKER_RATELIMIT_REPORT", "300 per hour")
    # all reports: above this, intake is "under pressure". Over ten seconds
    # (a sliding window), not one: a village's phones that get their signal
    # back at once send their held reports in a burst, which is not a flood.
    RATELIMIT_REPORT_PRESSURE = os.environ.get("TRACKER_RATELIMIT_REPORT_PRESSURE", "100 per 10 seconds")
    RATELIMIT_REPORT_SHARE = _env_int("TRACKER_RATELIMIT_REPORT_SHARE", 20)  # reports this hour an address may file while under pressure
    RATELIMIT_FOLLOWUP = os.environ.get("TRACKER_RATELIMIT_FOLLOWUP", "10 per minute;60 per hour")  # wrong receipts per address
    # receipt hashes for lookups, addresses with no wrong code
    RATELIMIT_LOOKUP_GLOBAL = os.environ.get("TRACKER_RATELIMIT_LOOKUP_GLOBAL", "2 per second")
    # receipt hashes for lookups, addresses that guessed wrong
    RATELIMIT_LOOKUP_SUSPECT = os.environ.get("TRACKER_RATELIMIT_LOOKUP_SUSPECT", "1 per second")
    RATELIMIT_LOGIN = "10 per minute"

    # Sessions: only what CSRF, language and staff login need.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)  # staff idle timeout
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    WTF_CSRF_TIME_LIMIT = 4 * 3600  # a slow phone may take a while to fill the form
    # Flask-WTF's HTTPS Referer check cannot work with Referrer-Policy:
    # no-referrer; tracker.core.csrf checks Origin / Sec-Fetch-Site instead.
    WTF_CSRF_SSL_STRICT = False

    # Where the served static files are built (hashed, precompressed; see
    # tracker/core/assets.py). Default: <instance>/assets. Must be writable.
    TRACKER_ASSETS_DIR = os.environ.get("TRACKER_ASSETS_DIR")

    # Anonymisation.
    TRACKER_K_THRESHOLD = _env_int("TRACKER_K_THRESHOLD", 10)

    # Retention (tracker.operations.retention): days after a case is closed or
    # rejected before its photos / contact details / identifying text are
    # erased by `sweep`; empty = kept. An admin setting "retention" overrides.
    TRACKER_RETENTION_PHOTOS_DAYS = _env_days("TRACKER_RETENTION_PHOTOS_DAYS")
    TRACKER_RETENTION_CONTACT_DAYS = _env_days("TRACKER_RETENTION_CONTACT_DAYS")
    TRACKER_RETENTION_CLOSED_CASE_DAYS = _env_days("TRACKER_RETENTION_CLOSED_CASE_DAYS")

    # Triage deadlines by severity, in hours.
    TRIAGE_DEADLINES = {"critical": 24, "high": 72, "medium": 7 * 24, "low": 14 * 24}

    # Mail. Without MAIL_SERVER, notifications go to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "tracker@localhost")
    # Public address of the site, for links in notification mails
    # (e.g. https://tracker.example.org); without it mails carry relative paths.
    TRACKER_BASE_URL = os.environ.get("TRACKER_BASE_URL")

    # Sign-in throttling (tracker.accounts.throttle): no lockout. After
    # LOGIN_ADDRESS_FREE failures in LOGIN_ADDRESS_WINDOW seconds an address
    # waits 1, 2, 4 … s (at most LOGIN_ADDRESS_MAX_DELAY) between attempts;
    # after LOGIN_GUARD_AFTER failures an account needs a second factor with
    # its password; owner and admins are mailed at LOGIN_NOTICE_AFTER (×10…).
    LOGIN_ADDRESS_FREE = 5
    LOGIN_ADDRESS_WINDOW = 3600
    LOGIN_ADDRESS_MAX_DELAY = 300
    LOGIN_GUARD_AFTER = 5
    LOGIN_NOTICE_AFTER = 10

    # Photos: all photos of one request together (read from their headers),
    # and PNG/WebP, which can only be decoded whole (4 bytes a pixel).
    MAX_REQUEST_PIXELS = 120_000_000
    MAX_PHOTO_FULL_DECODE_PIXELS = 12_000_000
    PHOTO_MAX_EDGE = 3072  # long side of the stored copy

    # Channels (DESIGN §8b): SMS/chat gateways. A gateway without its
    # settings is switched off (its webhook answers 404).
    TRACKER_SMS_TIMEOUT_MINUTES = _env_int("TRACKER_SMS_TIMEOUT_MINUTES", 30)
    RATELIMIT_SMS_LOOKUP = "5 per hour"  # wrong receipts texted from one number
    TRACKER_TWILIO_ACCOUNT_SID = os.environ.get("TRACKER_TWILIO_ACCOUNT_SID")
    TRACKER_TWILIO_AUTH_TOKEN = os.environ.get("TRACKER_TWILIO_AUTH_TOKEN")
    TRACKER_TWILIO_FROM = os.environ.get("TRACKER_TWILIO_FROM")  # the SMS number, +E.164
    TRACKER_TWILIO_WHATSAPP_FROM = os.environ.get("TRACKER_TWILIO_WHATSAPP_FROM")  # whatsapp:+…
    TRACKER_TWILIO_API_BASE = os.environ.get("TRACKER_TWILIO_API_BASE", "https://api.twilio.com")
    TRACKER_RAPIDPRO_SECRET = os.environ.get("TRACKER_RAPIDPRO_SECRET")  # webhook: Authorization: Token …
    TRACKER_RAPIDPRO_SEND_URL = os.environ.get("TRACKER_RAPIDPRO_SEND_URL")  # …/api/v2/broadcasts.json
    TRACKER_RAPIDPRO_API_TOKEN = os.environ.get("TRACKER_RAPIDPRO_API_TOKEN")

    # Argon2id parameters for staff passwords (OWASP-recommended defaults).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2


class DevelopmentConfig(Config):
    DEBUG = False
    GENERATE_MISSING_SECRETS = True
    SESSION_COOKIE_SECURE = False


class TestingConfig(Config):
    TESTING = True
    GENERATE_MISSING_SECRETS = False
    SECRET_KEY = "test-secret-key-not-for-production"
    TRACKER_FIELD_KEYS = "brG33gbPWulTf2oPx_QvEa04de9-0b8PR_8rdqvpkCk="
    TRACKER_RECEIPT_PEPPER = "test-pepper-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # The global guards are tested on their own (tests/intake/test_limits.py);
    # elsewhere a test client files and looks up far faster than any phone.
    RATELIMIT_REPORT_PRESSURE = "100000 per second"
    RATELIMIT_LOOKUP_GLOBAL = "100000 per second"
    RATELIMIT_LOOKUP_SUSPECT = "100000 per second"
    RECEIPT_SCRYPT_N = 2**4  # fast hashing under test
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    pass


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
