"""Fixtures for the JSON API tests.

``api``: a test client with rate limiting off (the rate-limit tests turn it
back on with ``limited_api``), plus ``post(path, body)`` helpers.
"""
import pytest

from tracker.extensions import limiter


class Api:
    def __init__(self, client):
        self.client = client

    def post(self, path: str, body=None, **kw):
        return self.client.post("/api/v1" + path, json=body, **kw)

    def raw(self, path: str, data, content_type: str = "application/json", **kw):
        return self.client.post("/api/v1" + path, data=data, content_type=content_type, **kw)


@pytest.fixture
def api(app):
    was = limiter.enabled
    limiter.enabled = False
    try:
        yield Api(app.test_client())
    finally:
        limiter.enabled = was


@pytest.fixture
def limited_api(app):
    """Rate limits on, with fresh counters."""
    limiter.enabled = True
    limiter.reset()
    yield Api(app.test_client())
    limiter.reset()
