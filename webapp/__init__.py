"""Supportcenter: a browser-based remote support center."""

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import live, pool_liveness
from webapp.config import Config
from webapp.config import check as check_config
from webapp.extensions import (
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    mail,
    migrate,
    sock,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    if session.get("locale") in supported:
        return session["locale"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: type | object = Config) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config)
    check_config(app.config)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        # X-Forwarded-Host only when the proxy is known to set it: otherwise a
        # client could name any host, and links built from it would point there.
        host_hops = hops if app.config.get("TRUSTED_PROXY_HOST") else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=host_hops)

    import webapp.models  # noqa: F401 - registers the tables
    from webapp.services import (
        acd,  # noqa: F401 - listens to what sessions announce (events.listen)
        events,  # noqa: F401 - registers the publish hook
        mailer,
    )

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = pool_liveness.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    )
    db.init_app(app)
    with app.app_context():
        pool_liveness.watch(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    sock.init_app(app)
    live.init_app(app)
    mailer.init_app(app)

    from webapp.blueprints import register_blueprints
    from webapp.web import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter
    register_blueprints(app)

    from webapp import cli, display, headers, logs, web

    logs.configure(app)
    cli.register(app)
    web.register(app)
    display.register(app)
    headers.register(app)

    @app.after_request
    def vary_on_htmx(response):
        if request.headers.get("HX-Request"):
            response.vary.add("HX-Request")
        return response

    return app
