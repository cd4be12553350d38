"""A staff member's own socket: pages that are about the user, not one
session (the Flersessionsfönster's tabs, R3.4; Inkommande sessioner, R6.5).

Each view names a partial renderer; on every event of the user's channel the
socket sends that partial again (coalesced), so it converges to a reload.
"""

import logging
import threading
import time
from collections.abc import Callable

from flask import Blueprint, current_app
from flask_babel import force_locale, get_locale
from flask_login import current_user
from simple_websocket import ConnectionClosed

from webapp.blueprints.live import closes_on_error
from webapp.blueprints.seats import same_site
from webapp.extensions import db, sock
from webapp.live.bus import user_channel
from webapp.live.connection import IDLE_WAKE_SECONDS, is_logged_out
from webapp.live.limits import INTERNAL_ERROR, POLICY_VIOLATION, TRY_AGAIN_LATER
from webapp.models import User
from webapp.services.secrets_ import digest

log = logging.getLogger(__name__)
bp = Blueprint("live_user", __name__)

COALESCE_SECONDS = 0.25

# view name -> (may the user see it, render(user) returning its oob partials)
VIEWS: dict[str, tuple[Callable[[User], bool], Callable[[User], str]]] = {}
# view name -> announce(user, events): the sentences a screen reader hears for
# a burst of events (webapp/live/announce.py); the re-render itself says nothing.
ANNOUNCERS: dict[str, Callable[[User, list[dict]], str]] = {}


def view(
    name: str,
    allowed: Callable[[User], bool],
    announce: Callable[[User, list[dict]], str] | None = None,
):
    """Registers a view; `allowed` is the same rule as the page it belongs to."""

    def register(render: Callable[[User], str]):
        VIEWS[name] = (allowed, render)
        if announce is not None:
            ANNOUNCERS[name] = announce
        return render

    return register


@sock.route("/live/me/<view_name>", bp=bp)
@closes_on_error
def user_socket(ws, view_name: str):
    allowed, render = VIEWS.get(view_name, (None, None))
    if (
        render is None
        or not current_user.is_authenticated
        or not same_site()
        or not allowed(current_user)
    ):
        ws.close(reason=POLICY_VIOLATION, message="not allowed")
        return
    user_id, locale = current_user.id, str(get_locale())
    staff_login = (user_id, digest(current_user.login_token or ""))
    app = current_app._get_current_object()
    db.session.remove()
    limits = app.extensions["live"].limits
    holder = ("user", user_id)
    if not limits.claim(holder):
        log.warning(
            "user %s already holds %d sockets; refusing one more", user_id, limits.sockets_per_seat
        )
        ws.close(reason=POLICY_VIOLATION, message="too many sockets")
        return
    try:
        serve_view(
            limits.guard(ws, f"user {user_id}'s {view_name} page"),
            app,
            (user_id, locale, staff_login),
            render,
            ANNOUNCERS.get(view_name),
        )
    finally:
        limits.release(holder)


def serve_view(
    ws,
    app,
    viewer: tuple,
    render: Callable[[User], str],
    announce: Callable[[User, list[dict]], str] | None = None,
) -> None:
    """`viewer`: the user's id, locale and (id, login token hash)."""
    user_id, locale, staff_login = viewer
    live = app.extensions["live"]
    subscription = live.bus.subscribe(user_channel(user_id), limit=live.limits.queue_messages)
    closed = threading.Event()

    def read() -> None:
        try:
            while True:
                ws.receive()  # the page sends nothing; this notices the close
        except ConnectionClosed:
            pass
        finally:
            closed.set()
            subscription.put_own({"kind": "closed"})

    def send_view(burst: list[dict] = ()) -> None:
        try:
            with force_locale(locale):
                user = db.session.get(User, user_id)
                html = render(user)
                if announce is not None and burst:
                    html += announce(user, burst)
                ws.send(html)
        finally:
            db.session.remove()

    threading.Thread(target=read, daemon=True).start()
    try:
        send_view()
        while not closed.is_set():
            first = subscription.get(timeout=IDLE_WAKE_SECONDS)
            if first is None:
                continue
            time.sleep(COALESCE_SECONDS)  # a burst of events costs one render
            burst = [first, *subscription.drain()]
            if any(is_logged_out(message, staff_login) for message in burst):
                ws.close(reason=POLICY_VIOLATION, message="logged out")
                return
            if subscription.overflowed:
                # Events were dropped; a new socket starts from a fresh view.
                ws.close(reason=TRY_AGAIN_LATER, message="fell behind")
                return
            if not closed.is_set():
                send_view(burst)
    except ConnectionClosed:
        pass
    except Exception:
        log.exception("user %s's socket failed; closing it with 1011", user_id)
        ws.close(reason=INTERNAL_ERROR, message="internal error")
    finally:
        subscription.close()
