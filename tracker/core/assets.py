"""Static files as the phone receives them: minified, content-hashed names,
precompressed (brotli and gzip), cached for good.

At start-up (or ahead of time with ``flask --app tracker assets``) every file
under ``tracker/static`` is copied into a build folder twice: under its own
name and under ``name.<sha256[:12]>.ext``, each with ``.br`` and ``.gz``
siblings for text types. Scripts and style sheets are minified first
(rjsmin, rcssmin: comments and white space only, nothing renamed), so the
sources keep their comments and the phone does not download them: about a
third of each script's compressed bytes. WhiteNoise serves that folder: it picks the variant
the browser accepts and marks hashed names ``immutable``, so a repeat visit
does not even revalidate them. ``url_for('static', filename='tracker.css')``
returns the hashed name (a ``url_defaults`` hook), so templates need no change.

The build folder is named after a digest of all the files: a build is
idempotent, several processes (tests, workers) can share it, and a changed
file simply yields a new folder. Folders of older builds are pruned after a
day.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import brotli
import click
import rcssmin
import rjsmin
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.datastructures import Headers
from whitenoise import WhiteNoise

HASH_LENGTH = 12
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".geojson", ".txt", ".html", ".map", ".webmanifest", ".xml"}
# A compressed variant is kept only when it saves something worth a request.
MIN_SAVING = 0.95
HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+$")
OLD_BUILDS_SECONDS = 24 * 3600


def hashed_name(relative: str, data: bytes) -> str:
    """``css/a.css`` → ``css/a.<first 12 hex of sha256>.css``."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    head, sep, ext = relative.rpartition(".")
    if not sep or "/" in ext:
        return f"{relative}.{digest}"
    return f"{head}.{digest}.{ext}"


def _sources(source: Path) -> list[tuple[str, Path]]:
    out = []
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.suffix not in (".gz", ".br"):
            out.append((path.relative_to(source).as_posix(), path))
    return out


def minified(relative: str, data: bytes) -> bytes:
    """What is served of a static file: scripts and style sheets without
    comments and needless white space; anything else as it is."""
    suffix = relative.rpartition(".")[2].lower()
    if suffix == "js":
        return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8")
    if suffix == "css":
        return rcssmin.cssmin(data.decode("utf-8")).encode("utf-8")
    return data


def _write_with_variants(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if target.suffix.lower() not in COMPRESSIBLE or not data:
        return
    gz = gzip.compress(data, compresslevel=9, mtime=0)
    if len(gz) < len(data) * MIN_SAVING:
        target.with_name(target.name + ".gz").write_bytes(gz)
    br = brotli.compress(data, quality=11, mode=brotli.MODE_TEXT)
    if len(br) < len(data) * MIN_SAVING:
        target.with_name(target.name + ".br").write_bytes(br)


def build_assets(source: str | os.PathLike, cache_root: str | os.PathLike) -> tuple[Path, dict[str, str]]:
    """Build (or reuse) the served copy of ``source``; return its folder and
    the manifest ``{original name: hashed name}``."""
    source, cache_root = Path(source), Path(cache_root)
    files = [(rel, path, minified(rel, path.read_bytes())) for rel, path in _sources(source)]
    manifest = {rel: hashed_name(rel, data) for rel, _path, data in files}
    overall = hashlib.sha256()
    for rel, _path, data in files:
        overall.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    build = cache_root / f"build-{overall.hexdigest()[:HASH_LENGTH]}"
    if not (build / ".complete").exists():
        cache_root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_root))
        try:
            for rel, _path, data in files:
                _write_with_variants(tmp / rel, data)
                _write_with_variants(tmp / manifest[rel], data)
            (tmp / ".complete").write_text("ok")
            try:
                tmp.rename(build)
            except OSError:  # another process finished the same build first
                if not (build / ".complete").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _prune(cache_root, keep=build)
    return build, manifest


def _prune(cache_root: Path, keep: Path) -> None:
    now = time.time()
    for old in cache_root.glob("build-*"):
        try:
            if old != keep and now - old.stat().st_mtime > OLD_BUILDS_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def _static_headers(headers: Headers, path: str, url: str) -> None:
    """WhiteNoise answers before Flask's after_request: give static files the
    few security headers that matter for them (no CSP: they are not documents)."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"


def _is_hashed(path: str, url: str) -> bool:
    return bool(HASHED_NAME.search(url))


def configure_assets(app: Flask) -> None:
    """Serve ``app.static_folder`` through WhiteNoise from a hashed, compressed build."""
    cache_root = app.config.get("TRACKER_ASSETS_DIR") or os.path.join(app.instance_path, "assets")
    build, manifest = build_assets(app.static_folder, cache_root)
    app.extensions["tracker_assets"] = {"folder": build, "manifest": manifest}
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(build),
        prefix=app.static_url_path.strip("/") + "/",
        # Files under their plain name (if anything asks for them) are
        # revalidated; hashed names never change, so they are cached for good.
        max_age=0,
        immutable_file_test=_is_hashed,
        allow_all_origins=False,
        add_headers_function=_static_headers,
    )

    @app.url_defaults
    def _hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]


@click.command("assets")
@with_appcontext
def assets_command() -> None:
    """Build the served static files (hashed, brotli and gzip) and list them.

    The app builds them on start-up anyway; run this at deploy time so the
    first request does not pay for it, or to see what the phone receives."""
    info = current_app.extensions["tracker_assets"]
    folder: Path = info["folder"]
    click.echo(f"Static files served from {folder}")
    for original, hashed in sorted(info["manifest"].items()):
        sizes = []
        for suffix in ("", ".br", ".gz"):
            variant = folder / (hashed + suffix)
            if variant.exists():
                sizes.append(f"{suffix.lstrip('.') or 'raw'} {variant.stat().st_size} B")
        click.echo(f"  {original} -> {hashed}  ({', '.join(sizes)})")
