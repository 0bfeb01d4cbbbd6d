"""Fixtures for the channel tests: a partner's device token, and a local
HTTP server standing in for an SMS gateway's API (it records what it was
asked to send)."""
from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def device(app, make_user):
    """(partner, plain token) for a partner of CRN with one connected device."""
    from tracker.channels.services import issue_device_token
    from tracker.extensions import db

    partner = make_user("partner")
    _token, plain = issue_device_token(partner, "Field phone 1")
    db.session.commit()
    return partner, plain


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        ctype = self.headers.get("Content-Type", "")
        parsed = json.loads(body) if ctype.startswith("application/json") else dict(urllib.parse.parse_qsl(body.decode()))
        self.server.sent.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": parsed})
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"sid": "SM00000000000000000000000000000001", "status": "queued"}')

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def gateway_server():
    """A real HTTP server on 127.0.0.1 standing in for Twilio's / RapidPro's
    API. ``server.sent`` lists the requests it received; ``server.url`` is its base."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.sent = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)
