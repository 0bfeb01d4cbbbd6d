"""gunicorn settings for Tracker: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Reporter safety: the access log has NO client address (no %(h)s, no
X-Forwarded-For), no user agent and no referrer. Keep it that way.
"""
import multiprocessing
import os

bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# One thread per worker (gunicorn's sync worker): the reverse proxy buffers
# requests and responses (deploy/nginx.conf), so a slow phone never holds a
# worker, and a report costs about 10 ms less CPU than with two threads
# sharing a GIL (bench/intake_load.py --threads 2 measures the other).
threads = int(os.environ.get("TRACKER_THREADS", "1"))
timeout = 60  # photo uploads on slow connections are buffered by the proxy
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200

accesslog = "-"
# time, request line, status, size, duration: nothing that identifies a person.
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
# Partner devices carry their token in the URL (/openrosa/<token>/…): cut it.
logger_class = "tracker.channels.logs.RedactingGunicornLogger"
errorlog = "-"
loglevel = os.environ.get("TRACKER_LOG_LEVEL", "info")

# Only the local proxy may set X-Forwarded-Proto (see TRACKER_PROXY_HOPS in wsgi.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
