"""What every page shares: the htmx check, error replies, login loading."""

import functools
from urllib.parse import urlsplit

import redis
from flask import Flask, Response, g, has_request_context, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from webapp.extensions import db, login_manager, reads_only
from webapp.models import User
from webapp.models.reasons import EndReason
from webapp.services import chat, turn, users
from webapp.services.errors import ServiceError


def safe_next_path(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would make links a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc or "\\" in target else target


def only_reads(view):
    """For a page that writes nothing: its statements, the login's included,
    run without a transaction around them, which saves the BEGIN and
    ROLLBACK round trips (#18), and a write in it raises (reads_only). Goes
    above login_required, which reads the login first."""

    @functools.wraps(view)
    def reads(*args, **kwargs):
        reads_only()
        return view(*args, **kwargs)

    return reads


def socket_path(support_session_id: int) -> str:
    """The session socket's path. Werkzeug builds websocket rules as absolute
    ws:// URLs from the Host header, which is wrong behind a proxy that drops
    the port or terminates TLS; the browser resolves a path correctly."""
    return urlsplit(url_for("live.session_socket", support_session_id=support_session_id)).path


# The glossary's names of the activities (R7), for panels and media tiles.
ACTIVITY_NAMES = {
    "chat": _l("Chat"),
    "file_transfer": _l("File transfer"),
    "desktop_sharing": _l("Desktop sharing"),
    "application_sharing": _l("Application sharing"),
    "video": _l("Video"),
    "voice": _l("Voice call"),
    "recording": _l("Recording"),
}


def activity_names() -> dict[str, str]:
    return {kind: str(name) for kind, name in ACTIVITY_NAMES.items()}


# Why an activity, a seat or a session ended, as the history shows it: the
# stored codes (models/reasons.py) are for the database, not for people.
END_REASON_NAMES = {
    EndReason.ENDED_BY_REP: _l("Ended by the support representative"),
    EndReason.CONTROLLER_GONE: _l("The controlling representative's page stayed closed"),
    EndReason.ABANDONED: _l("Everyone left while the session waited"),
    EndReason.LEFT: _l("The participant left"),
    EndReason.GONE: _l("The participant's page stayed closed"),
    EndReason.TRANSFERRED: _l("Transferred to WebACD"),
    EndReason.SESSION_ENDED: _l("The session ended"),
    EndReason.STOPPED: _l("Stopped"),
    EndReason.DISCONNECTED: _l("The connection was lost"),
    EndReason.CONTROL_TRANSFERRED: _l("Control was transferred"),
    EndReason.COMPLETED: _l("Completed"),
    EndReason.NOTHING_TO_RECORD: _l("There was nothing to record"),
    EndReason.CONSENT_WITHDRAWN: _l("A customer withdrew consent to recording"),
    EndReason.CONSENT_MISSING: _l("A customer who was not asked joined"),
}


def end_reason_name(reason: str | None) -> str:
    """A stored reason in the viewer's language; one this version does not
    know (written by a newer one during a deploy) as it is stored."""
    name = END_REASON_NAMES.get(reason) if reason else None
    return str(name) if name is not None else (reason or "")


ID_MAX = 2**31 - 1  # the database's integer keys; a larger number is no row


def parse_id(raw: str | None) -> int | None:
    """A row id from a form field, or None for anything that is not one
    (text, "²", a number beyond the key's range)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and int(raw) <= ID_MAX else None


def parse_count(raw: str | None) -> int | None:
    """A count (bytes, milliseconds) from a form field, or None for anything
    that is not a whole number a BIGINT column could hold."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) <= 18 else None


class RowIdConverter(IntegerConverter):
    """`<int:…>` in routes stops at the key's range, so a huge number is a 404
    rather than a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def alert(message: str, status: int, kind: str = "error") -> Response | tuple:
    """A message the user sees where they are: in the flash region for htmx,
    or on a page of its own for a plain request, with the same status."""
    if is_htmx():
        response = Response(
            render_template("_alert.html", message=message, kind=kind, oob=False),
            status,
        )
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render_template("error.html", message=message, status=status), status


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    # Only a login that has not ended: a copied cookie dies with its logout.
    return users.user_for_cookie(cookie_id)


def register(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.login_message_category = "info"

    app.jinja_env.globals["chat_max"] = chat.CHAT_MAX

    @app.context_processor
    def template_globals():
        return {
            "csrf_token_value": generate_csrf,
            "is_htmx": is_htmx,
            "socket_path": socket_path,
            "activity_names": activity_names,
            "end_reason_name": end_reason_name,
            # A session page inside the Flersessionsfönster's tab (R3.4).
            "embedded": has_request_context() and request.args.get("embed") == "1",
            "current_locale": str(get_locale()),
            "ice_servers": turn.ice_servers,
        }

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        db.session.rollback()
        return alert(str(error.message), error.status)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return alert(_("This form has expired. Reload the page and try again."), 400)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        return alert(_("Too many attempts. Wait a minute and try again."), 429)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("The page could not be found."),
            405: _("That action is not allowed here."),
            413: _("The upload is too large."),
        }
        status = error.code or 500
        return alert(messages.get(status, _("Something went wrong.")), status)

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(redis.RedisError)
    def unavailable(error: Exception):
        """The database or Redis is away (a restart, a failover): a clear page
        for the moment it takes, never a traceback; the pool reconnects by
        itself (pool_liveness.py). Nothing here may need the database."""
        app.logger.warning("service unavailable: %s", error.__class__.__name__)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone with the server
            db.session.close()
        if "_login_user" not in g:
            g._login_user = login_manager.anonymous_user()
        response = alert(_("The service is unavailable for a moment. Please try again."), 503)
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return alert(_("Something went wrong on our side. Please try again."), 500)
