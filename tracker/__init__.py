"""Tracker: reporting harm from security operations, safely.

``create_app`` only runs ``configure_*`` steps; each lives with its domain.
"""
import os

from flask import Flask

from config import CONFIGS


def create_app(config: str | type | None = None, **overrides) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    configure_config(app, config, overrides)
    configure_extensions(app)
    configure_blueprints(app)
    configure_static(app)
    configure_cli(app)
    return app


def configure_config(app: Flask, config, overrides: dict) -> None:
    from tracker.core.crypto import validate_keys
    from tracker.core.secrets import configure_secrets

    if config is None:
        config = os.environ.get("TRACKER_CONFIG", "development")
    app.config.from_object(CONFIGS[config] if isinstance(config, str) else config)
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "tracker.db")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    configure_secrets(app)
    validate_keys(app.config["TRACKER_FIELD_KEYS"])


def configure_extensions(app: Flask) -> None:
    from tracker.core.errors import configure_errors
    from tracker.core.i18n import configure_i18n_templates, select_locale
    from tracker.core.params import configure_params
    from tracker.core.security import configure_security
    from tracker.extensions import babel, csrf, db, limiter, login_manager, migrate

    configure_params(app)  # before any route: the bounded ``int`` converter
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(os.path.dirname(app.root_path), "translations"),
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    configure_i18n_templates(app)
    configure_security(app)
    configure_errors(app)
    _import_models()
    from tracker.accounts.auth import configure_login

    configure_login(app)
    from tracker.cases.receivers import configure_cases

    configure_cases(app)
    from tracker.metrics.rollups.upkeep import register_listeners as keep_rollups_current

    keep_rollups_current()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _configure_sqlite(app)


def _import_models() -> None:
    """Import every model so that metadata (and Alembic) sees all tables."""
    import tracker.accounts.models  # noqa: F401
    import tracker.audit.models  # noqa: F401
    import tracker.cases.models  # noqa: F401
    import tracker.channels.models  # noqa: F401
    import tracker.intake.models  # noqa: F401
    import tracker.metrics.models  # noqa: F401
    import tracker.reference.models  # noqa: F401
    import tracker.responses.models  # noqa: F401


def _configure_sqlite(app: Flask) -> None:
    import sqlalchemy as sa

    from tracker.extensions import db

    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def configure_blueprints(app: Flask) -> None:
    from tracker.accounts.views import bp as accounts_bp
    from tracker.admin.views import bp as admin_bp
    from tracker.api import bp as api_bp
    from tracker.cases.views import bp as cases_bp
    from tracker.channels.gateways import configure_gateways
    from tracker.channels.views import bp as channels_bp
    from tracker.intake.views import bp as intake_bp
    from tracker.public.views import bp as public_bp
    from tracker.responses.views import bp as responses_bp
    from tracker.trends.views import bp as trends_bp

    for bp in (public_bp, intake_bp, accounts_bp, cases_bp, trends_bp, responses_bp, admin_bp, api_bp, channels_bp):
        app.register_blueprint(bp)
    configure_gateways(app)


def configure_static(app: Flask) -> None:
    from tracker.core.assets import configure_assets
    from tracker.core.compression import configure_compression

    configure_assets(app)
    configure_compression(app)


def configure_cli(app: Flask) -> None:
    from tracker.cli import register_cli

    register_cli(app)
