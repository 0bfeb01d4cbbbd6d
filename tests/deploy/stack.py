"""The production profile, started for real: PostgreSQL, Redis, gunicorn with
the repo's ``gunicorn.conf.py`` and ``TRACKER_CONFIG=production`` (secrets
from the environment), and Debian's nginx with ``deploy/nginx.conf`` as the
TLS reverse proxy (throwaway self-signed certificate).

Everything listens on 127.0.0.1 on free ports, lives in one temporary
folder and is stopped when the ``with`` block ends, whatever happens.

- ``database_on_test_server()``: a fresh database on the server named by
  TEST_DATABASE_URL (dropped afterwards);
- ``PostgresCluster``: a throwaway cluster of our own (initdb/pg_ctl, as
  ``.ci/run`` does), for tests that restart or stop PostgreSQL;
- ``Stack``: Redis + gunicorn + nginx over a database URL.
"""
from __future__ import annotations

import contextlib
import datetime
import glob
import ipaddress
import os
import pathlib
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
VENV_BIN = pathlib.Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout}s (last error: {last!r})")


def missing_tools() -> list[str]:
    """What this machine lacks to run the stack (empty when all is there)."""
    missing = []
    if not os.access(NGINX, os.X_OK):
        missing.append("nginx (apt-get install nginx)")
    if not os.access(REDIS, os.X_OK):
        missing.append("redis-server (apt-get install redis-server)")
    if pg_bin() is None:
        missing.append("PostgreSQL server binaries (apt-get install postgresql)")
    return missing


# --------------------------------------------------------------- PostgreSQL
def pg_bin() -> str | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return os.path.dirname(os.path.realpath(found))
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]) if
                  d.split("/")[-2].isdigit() else 0)
    dirs = [d for d in dirs if os.access(os.path.join(d, "pg_ctl"), os.X_OK)]
    return dirs[-1] if dirs else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as ``postgres`` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def database_on_test_server(prefix: str = "tracker_deploy"):
    """A fresh, empty database on the TEST_DATABASE_URL server; its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free port (trust auth, no fsync)."""

    def __init__(self, base: str):
        self.bin = pg_bin()
        self.dir = os.path.join(base, "pg")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port()
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o700)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/tracker"

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(_as_postgres([os.path.join(self.bin, "pg_ctl"), "-D", self.data, *args]),
                              capture_output=True, text=True, check=check, timeout=60)

    def start(self) -> None:
        if not os.path.exists(self.data):
            subprocess.run(_as_postgres([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres",
                                         "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                           capture_output=True, check=True, timeout=120)
        # fsync and full-page writes only matter when the machine crashes;
        # synchronous_commit must stay on: a commit acknowledged before its
        # WAL is written is lost by `pg_ctl restart -m immediate`.
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c synchronous_commit=on "
                   "-c full_page_writes=off -c max_connections=100")
        result = self._ctl("-l", self.log, "-w", "-t", "60", "-o", options, "start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{self.read_log()}")
        if not getattr(self, "_created", False):
            subprocess.run(_as_postgres([os.path.join(self.bin, "createdb"), "-h", "127.0.0.1", "-p",
                                         str(self.port), "-U", "postgres", "tracker"]), check=True, timeout=60)
            self._created = True

    def restart_immediate(self) -> None:
        """``pg_ctl restart -m immediate``: no clean shutdown, crash recovery."""
        result = self._ctl("-m", "immediate", "-w", "-t", "60", "-l", self.log, "restart", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not restart: {result.stderr}\n{self.read_log()}")

    def stop(self, mode: str = "fast") -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._ctl("-m", mode, "-w", "stop", check=False)

    def read_log(self) -> str:
        try:
            return pathlib.Path(self.log).read_text(errors="replace")[-4000:]
        except OSError:
            return ""


# --------------------------------------------------------------- certificate
def self_signed_certificate(directory: str) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1 and localhost; (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    pathlib.Path(cert_path).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pathlib.Path(key_path).write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


# --------------------------------------------------------------- nginx
# The example values of deploy/nginx.conf and what the test stack puts instead.
NGINX_SITE = ROOT / "deploy" / "nginx.conf"


def render_nginx_site(*, https_port: int, http_port: int, app_port: int, cert: str, key: str,
                      logs: str) -> str:
    """deploy/nginx.conf with its example values replaced; every replaced
    value must be there, so the file the README shows is the one tested."""
    text = NGINX_SITE.read_text()
    replacements = [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("/etc/letsencrypt/live/tracker.example.org/fullchain.pem", cert),
        ("/etc/letsencrypt/live/tracker.example.org/privkey.pem", key),
        ("/var/log/nginx/", f"{logs}/"),
    ]
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"deploy/nginx.conf no longer contains {old!r}: update tests/deploy/stack.py")
        text = text.replace(old, new)
    return text


def nginx_main_conf(base: str, site: str) -> str:
    """The main nginx.conf around the site (what Debian's /etc/nginx/nginx.conf does)."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {base}/{kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/logs/main.error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
{temp}
    include {site};
}}
"""


# --------------------------------------------------------------- the stack
def production_secrets() -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TRACKER_FIELD_KEYS": Fernet.generate_key().decode(),
        "TRACKER_RECEIPT_PEPPER": secrets.token_urlsafe(32),
    }


@dataclass
class Stack:
    """Redis + gunicorn (production config) + nginx (TLS) over ``database_url``."""

    database_url: str
    base: str
    workers: int = 2
    env: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.redis_port = free_port()
        self.app_port = free_port()
        self.https_port = free_port()
        self.http_port = free_port()
        self.logs = os.path.join(self.base, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "WEB_CONCURRENCY"))},
            **production_secrets(),
            "TRACKER_CONFIG": "production",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "TRACKER_PROXY_HOPS": "1",
            "TRACKER_BIND": f"127.0.0.1:{self.app_port}",
            "WEB_CONCURRENCY": str(self.workers),
            "TRACKER_LOG_LEVEL": "warning",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self.env.pop("TEST_DATABASE_URL", None)

    # ---------------------------------------------------------- helpers
    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def flask(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """``flask --app tracker …`` with the production environment."""
        result = subprocess.run([str(VENV_BIN / "flask"), "--app", "tracker", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, input=input, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def app(self):
        """An app object on the same database and keys (to set up or read data)."""
        from tracker import create_app

        return create_app(
            "production", SQLALCHEMY_DATABASE_URI=self.database_url, SECRET_KEY=self.env["SECRET_KEY"],
            TRACKER_FIELD_KEYS=self.env["TRACKER_FIELD_KEYS"],
            TRACKER_RECEIPT_PEPPER=self.env["TRACKER_RECEIPT_PEPPER"], RATELIMIT_STORAGE_URI="memory://",
        )

    def _spawn(self, name: str, cmd: list[str], **kw) -> subprocess.Popen:
        out = open(os.path.join(self.logs, f"{name}.log"), "ab")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True, **kw)
        proc._log = out  # type: ignore[attr-defined]
        self.processes[name] = proc
        return proc

    def log(self, name: str, tail: int = 6000) -> str:
        try:
            return pathlib.Path(self.logs, f"{name}.log").read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def https_get(self, path: str, timeout: float = 5.0):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return urllib.request.urlopen(self.url(path), context=context, timeout=timeout)  # noqa: S310

    # ---------------------------------------------------------- lifecycle
    def migrate(self) -> None:
        """``flask --app tracker db upgrade`` as the README says, then the reference data."""
        self.flask("db", "upgrade")
        app = self.app()
        from tracker.demo.reference import load_reference_data
        from tracker.extensions import db

        with app.app_context():
            load_reference_data()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def start(self) -> Stack:
        self._spawn("redis", [REDIS, "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
                              "--appendonly", "no", "--dir", self.base])
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.redis_port), 0.2).close() or True,
                 10, "redis-server")
        self.start_gunicorn()
        cert, key = self_signed_certificate(self.base)
        site = os.path.join(self.base, "tracker-site.conf")
        pathlib.Path(site).write_text(render_nginx_site(
            https_port=self.https_port, http_port=self.http_port, app_port=self.app_port, cert=cert, key=key,
            logs=self.logs))
        main = os.path.join(self.base, "nginx.conf")
        pathlib.Path(main).write_text(nginx_main_conf(self.base, site))
        test = subprocess.run([NGINX, "-t", "-q", "-c", main, "-p", self.base], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {test.stderr}")
        self._spawn("nginx", [NGINX, "-c", main, "-p", self.base, "-g", "daemon off;"])
        wait_for(lambda: self.https_get("/healthz").status == 200, 20, "nginx → gunicorn /healthz")
        return self

    def start_gunicorn(self) -> None:
        self._spawn("gunicorn", [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env=self.env)
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.app_port), 0.2).close() or True,
                 30, "gunicorn", interval=0.1)

    def gunicorn_workers(self) -> list[int]:
        """PIDs of gunicorn's worker processes (children of the master)."""
        master = self.processes["gunicorn"].pid
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True)
        except FileNotFoundError:  # no procps: read /proc
            return [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == master]
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        for name in ("nginx", "gunicorn", "redis"):
            proc = self.processes.pop(name, None)
            if proc is None:
                continue
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            proc._log.close()

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException as exc:
            logs = {n: self.log(n) for n in ("gunicorn", "nginx", "redis")}
            self.stop()
            raise RuntimeError(f"the production stack did not start; logs: {logs}") from exc

    def __exit__(self, *exc) -> None:
        self.stop()


def _ppid(pid: int) -> int | None:
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


@contextlib.contextmanager
def temporary_base():
    base = tempfile.mkdtemp(prefix="tracker-deploy-")
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
