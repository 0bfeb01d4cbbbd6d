"""WSGI entry point for production servers: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Configuration comes from the environment (README.md, "Production"); the
production configuration refuses to start without its secrets.

Behind a reverse proxy, set TRACKER_PROXY_HOPS to the number of proxies in
front of the app (usually 1) so that the rate limiter tells clients apart by
the X-Forwarded-For address (which is only ever hashed, never stored) and
HTTPS is recognised from X-Forwarded-Proto. Leave it at 0 when clients reach
gunicorn directly: the header could then be forged.
"""
import os

from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import create_app

app = create_app(os.environ.get("TRACKER_CONFIG", "production"))

_hops = int(os.environ.get("TRACKER_PROXY_HOPS", "0") or 0)
if _hops > 0:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_hops, x_proto=_hops, x_host=0, x_port=0, x_prefix=0)
