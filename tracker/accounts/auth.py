"""Flask-Login wiring."""
from flask import Flask

from tracker.extensions import db, login_manager


def configure_login(app: Flask) -> None:
    from tracker.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            uid, version = (int(x) for x in user_id.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(User, uid)
        if user is None or user.session_version != version:
            return None
        return user
