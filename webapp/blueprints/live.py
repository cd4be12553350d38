"""The session websocket: one per open page, pushing that viewer's panels (R9).

On connect the viewer gets its current panels, not a replay: a page whose
socket dropped while things happened converges to what a reload would show.
"""

import logging
import time
import uuid

from flask import Blueprint, current_app
from flask_babel import get_locale
from flask_login import current_user
from simple_websocket import ConnectionClosed

from webapp.blueprints.join import current_seat
from webapp.extensions import db, sock
from webapp.live.presence import HEARTBEAT_SECONDS
from webapp.live.push import render_panels
from webapp.models import Participant, SupportSession
from webapp.services import sessions

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)

POLICY_VIOLATION = 1008
NORMAL_CLOSURE = 1000
FINAL_CLOSE_WAIT_SECONDS = 10


def _viewer(support_session_id: int) -> Participant | None:
    if current_user.is_authenticated:
        seat = sessions.staff_participant(support_session_id, current_user)
        if seat is not None:
            return seat
    seat = current_seat(support_session_id)
    return seat if seat is not None and seat.left_at is None else None


@sock.route("/live/sessions/<int:support_session_id>", bp=bp)
def session_socket(ws, support_session_id: int):
    viewer = _viewer(support_session_id)
    if viewer is None:
        ws.close(reason=POLICY_VIOLATION, message="not a participant")
        return
    viewer_id = viewer.id
    locale = str(get_locale())
    live = current_app.extensions["live"]
    connection_id = uuid.uuid4().hex
    subscription = live.bus.subscribe(support_session_id)
    came_online = live.presence.connect(viewer_id, support_session_id, connection_id)
    next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
    try:
        if came_online:
            live.publish(support_session_id, {"kind": "presence"})
        while True:
            if not _send_panels(ws, support_session_id, viewer_id, locale):
                _await_client_close(ws)
                return
            while subscription.get(timeout=1.0) is None:
                _read_incoming(ws)
                if time.monotonic() >= next_heartbeat:
                    live.presence.heartbeat(viewer_id, connection_id)
                    next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
            subscription.drain()  # one render covers every event queued meanwhile
    except ConnectionClosed:
        pass
    finally:
        subscription.close()
        if live.presence.disconnect(viewer_id, support_session_id, connection_id):
            live.publish(support_session_id, {"kind": "presence"})
        db.session.remove()


def _send_panels(ws, support_session_id: int, viewer_id: int, locale: str) -> bool:
    """Sends the viewer's panels; False once the session or the seat is over."""
    try:
        support_session = db.session.get(SupportSession, support_session_id)
        viewer = db.session.get(Participant, viewer_id)
        ws.send(render_panels(support_session, viewer, locale))
        return support_session.is_open and viewer.left_at is None
    finally:
        # A socket lives for hours: it must not pin a transaction (and on
        # SQLite a read lock) or see stale rows on the next event.
        db.session.remove()


def _await_client_close(ws) -> None:
    """The final panel removes the page's ws-connect element, so the browser
    closes the socket itself. Closing from here first races the dev server's
    response bytes and can reach the browser as an abnormal closure (1006),
    which htmx answers by reconnecting before the final panel is shown."""
    for _ in range(int(FINAL_CLOSE_WAIT_SECONDS * 10)):
        ws.receive(timeout=0.1)
    ws.close(reason=NORMAL_CLOSURE, message="session over")


def _read_incoming(ws) -> None:
    # Nothing is expected from the page yet; reading is what notices a closed socket.
    while ws.receive(timeout=0) is not None:
        pass
