"""The session websocket's door: one socket per open page, let in only for a
participant of the session on this site (R9, R7). What it does once in is
webapp/live/connection.py."""

import contextlib
import functools
import logging

from flask import Blueprint, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from simple_websocket import ConnectionClosed

from webapp.blueprints.seats import same_site, viewer_of
from webapp.extensions import db, reads_on_their_own, sock
from webapp.live.connection import SessionConnection
from webapp.live.limits import INTERNAL_ERROR, POLICY_VIOLATION
from webapp.models import Participant
from webapp.services.secrets_ import digest

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)


def _viewer(support_session_id: int) -> Participant | None:
    return viewer_of(support_session_id)


def closes_on_error(handler):
    """A socket handler that raises is logged and closed with 1011 (htmx
    reconnects on it): raised into flask-sock, the error became an HTTP 500
    written into the upgraded socket (#13 item 2)."""

    @functools.wraps(handler)
    def handle(ws, *args, **kwargs):
        try:
            handler(ws, *args, **kwargs)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("live socket %s failed; closing it with 1011", request.path)
            with contextlib.suppress(ConnectionClosed, OSError):
                ws.close(reason=INTERNAL_ERROR, message="internal error")

    return handle


@sock.route("/live/sessions/<int:support_session_id>", bp=bp)
@closes_on_error
def session_socket(ws, support_session_id: int):
    reads_on_their_own()  # until db.session.remove() below: a storm's thousand lookups
    viewer = _viewer(support_session_id) if same_site() else None
    if viewer is None:
        ws.close(reason=POLICY_VIOLATION, message="not a participant")
        return
    limits = current_app.extensions["live"].limits
    label = f"seat {viewer.id} of session {support_session_id}"
    seat = ("seat", viewer.id)
    if not limits.claim(seat):
        log.warning(
            "%s already holds %d sockets; refusing one more", label, limits.sockets_per_seat
        )
        ws.close(reason=POLICY_VIOLATION, message="too many sockets")
        return
    try:
        guarded = limits.guard(ws, label)
        connection = SessionConnection(guarded, support_session_id, viewer.id, str(get_locale()))
        if viewer.user_id is not None:
            connection.staff_login = (viewer.user_id, digest(current_user.login_token or ""))
        db.session.remove()
        connection.serve()
    finally:
        limits.release(seat)
