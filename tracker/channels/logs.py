"""Keep device tokens out of logs.

A partner device's token travels in the URL (ODK Collect and Kobo only know
a server URL), so every request line that names /openrosa/<token>/… or
/kobo/<token>/… is logged with the token cut to its prefix: by the
development server (a logging filter) and by gunicorn (``logger_class`` in
gunicorn.conf.py). The proxy needs the same (README, "Channels").
"""
from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

_TOKEN_IN_PATH = re.compile(r"/(openrosa|kobo)/(dev_[A-Za-z0-9_-]{0,6})[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    """``/openrosa/dev_AbCdEf…rest/formList`` → ``/openrosa/dev_AbCdEf…/formList``."""
    return _TOKEN_IN_PATH.sub(lambda m: f"/{m.group(1)}/{m.group(2)}…", text)


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger with device tokens cut out of the request line."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


def configure_log_redaction() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokensFilter) for f in logger.filters):
        logger.addFilter(RedactTokensFilter())
