"""Extensions made once, unbound, so that models and services import them freely."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from webapp.addresses import client_key


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
babel = Babel()
csrf = CSRFProtect()


def rate_limit_key() -> str:
    """The client's address (an IPv6 one as its /64), within this deployment's
    namespace: with Redis the counters live beside every other deployment's
    on that server (#19)."""
    return namespaced_key(client_key())


def namespaced_key(key: str) -> str:
    namespace = current_app.extensions["live"].redis_namespace
    return f"{namespace}/{key}" if namespace else key


limiter = Limiter(key_func=rate_limit_key, default_limits=[])
sock = Sock()
