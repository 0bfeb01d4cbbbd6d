"""No log line carries the client's address (DESIGN §3: no IP logged anywhere)."""
import logging
import urllib.error
import urllib.request


def test_werkzeug_request_log_lines_have_no_client_address(live_server, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    urllib.request.urlopen(live_server.url("/?lang=fr"), timeout=10).read()
    try:
        urllib.request.urlopen(live_server.url("/no-such-page"), timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 404

    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    requests = [line for line in lines if "GET /" in line]
    assert len(requests) == 2, lines
    for line in lines:
        assert "127.0.0.1" not in line, line
    assert '"GET /?lang=fr HTTP/1.1" 200' in requests[0]
