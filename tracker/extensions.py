"""Flask extensions, created unbound and bound in ``create_app``."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from tracker.core.csrf import OriginCSRFProtect
from tracker.core.db import Base
from tracker.core.ratelimit import client_key

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
# The token as Flask-WTF checks it; the Referer check replaced by an Origin /
# Sec-Fetch-Site check that works with Referrer-Policy: no-referrer.
csrf = OriginCSRFProtect()
babel = Babel()
# Counters are keyed by a keyed hash of the address: the address itself is
# never stored, not even in Redis.
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)
