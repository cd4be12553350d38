"""One open session page's socket, once it is let in: it sends the viewer
its panels, the chat and the files as the session moves, and takes what the
page sends (chat lines, WebRTC signalling). The route that lets it in is
webapp/blueprints/live.py.

On connect the viewer gets its current panels, not a replay: a page whose
socket dropped while things happened converges to what a reload would show.
"""

import json
import logging
import time
import uuid

import redis
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from simple_websocket import ConnectionClosed
from sqlalchemy import exc as sa_exc

from webapp.extensions import db
from webapp.live import announce, signals
from webapp.live.bus import OVERFLOWED, PRESENCE, RESYNC
from webapp.live.limits import INTERNAL_ERROR, POLICY_VIOLATION, TRY_AGAIN_LATER
from webapp.live.push import customer_chat_log, files_panel_context, render_chat_line
from webapp.services import activities, chat, events, sessions
from webapp.services.errors import ServiceError

log = logging.getLogger(__name__)

NORMAL_CLOSURE = 1000
FINAL_CLOSE_WAIT_SECONDS = 10
PANEL_COALESCE_SECONDS = 0.25
# PostgreSQL or Redis away for a moment (a restart): a render that needs them
# is tried again, and the socket stays open (#14 item 5).
SERVICE_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError, redis.RedisError)
PANEL_RETRY_SECONDS = 2.0
IDLE_WAKE_SECONDS = 5.0  # only to notice a closed socket that sent no close
# Message kinds only this socket's reading puts on its own queue.
INCOMING = "incoming"
# Files may be for one participant only, so their list is rendered per socket.
FILE_EVENTS = {"file_shared", "recording_stored", "recording_finished"}
CLOSED = "closed"
# How long a socket closed for falling behind still takes what its page sent.
LAST_LINES_SECONDS = 1.0


def is_logged_out(message: dict, staff_login: tuple[int, str] | None) -> bool:
    """Whether a logged_out event ends this socket's login (None: all of the user's)."""
    if staff_login is None or message.get("user_id") != staff_login[0]:
        return False
    return message.get("login") in (None, staff_login[1])


class SessionConnection:
    """One open page. simple_websocket's reading thread turns what the page
    sends into queue items (GuardedSocket.forward), so this thread alone
    writes to the socket, in order."""

    def __init__(self, ws, support_session_id: int, viewer_id: int, locale: str):
        self.ws = ws
        self.support_session_id = support_session_id
        self.viewer_id = viewer_id
        self.locale = locale
        self.live = current_app.extensions["live"]
        self.connection_id = uuid.uuid4().hex
        # Lines already on the page through the history sent on connect. Not a
        # "newest id": lines committed by two workers can be published in the
        # other order, and a high-water mark would drop the later one.
        self.chat_ids_in_log: frozenset[int] = frozenset()
        self.showing_chat_error = False
        self.chat_log_due = False  # events may have been lost: the log goes with the panels
        # (user id, login token hash) of a staff viewer: a logout closes this socket.
        self.staff_login: tuple[int, str] | None = None
        # The panels this page was last sent, as the snapshot's own strings:
        # the same objects again mean the page already shows them.
        self.panels_sent: tuple[str, str] | None = None

    @property
    def label(self) -> str:
        return f"seat {self.viewer_id} of session {self.support_session_id}"

    def wants(self, message: dict) -> bool:
        """Signals for other seats never enter this socket's queue: in a
        session of n pages that is n² messages, and memory for each."""
        return message.get("kind") != "signal" or signals.is_for(message, self.viewer_id)

    def serve(self) -> None:
        live = self.live
        subscription = live.bus.subscribe(
            self.support_session_id, limit=live.limits.queue_messages, accepts=self.wants
        )
        came_online = live.presence.connect(
            self.viewer_id, self.support_session_id, self.connection_id
        )
        try:
            if came_online:
                live.publish(self.support_session_id, {"kind": PRESENCE})
            if not self._send_everything():
                return self._await_client_close()
            self.ws.forward(
                lambda data: subscription.put_own({"kind": INCOMING, "data": data}),
                lambda: subscription.put_own({"kind": CLOSED}),
            )
            self._pump(subscription)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("%s failed; closing it with 1011", self.label)
            self.ws.close(reason=INTERNAL_ERROR, message="internal error")
        finally:
            subscription.close()
            if live.presence.disconnect(
                self.viewer_id, self.support_session_id, self.connection_id
            ):
                live.publish(self.support_session_id, {"kind": PRESENCE})
            db.session.remove()

    def _pump(self, subscription) -> None:
        panels_due: float | None = None
        while self.ws.connected:
            wait = IDLE_WAKE_SECONDS
            if panels_due is not None:
                wait = max(0.0, panels_due - time.monotonic())
            first = subscription.get(timeout=wait)
            if first is not None and self._handle([first, *subscription.drain()]):
                # Panels wait a moment so a burst (a reconnect storm, five
                # people arriving) costs one render, not one per event.
                panels_due = panels_due or time.monotonic() + PANEL_COALESCE_SECONDS
            if subscription.overflowed:
                return self._close_behind(subscription)
            if panels_due is not None and time.monotonic() >= panels_due:
                panels_due = None
                try:
                    if not self._send_panels(with_chat_log=self.chat_log_due):
                        return self._await_client_close()
                    self.chat_log_due = False
                except SERVICE_AWAY as error:
                    # Closed with 1011, the page could not reconnect until the
                    # service was back, and lines it had sent were dropped.
                    log.warning(
                        "%s: panels not sent (%s); trying again", self.label, type(error).__name__
                    )
                    panels_due = time.monotonic() + PANEL_RETRY_SECONDS

    def _close_behind(self, subscription) -> None:
        """Events were dropped: the page reconnects (1013) and is sent its
        panels afresh. What it sent meanwhile is still stored."""
        log.warning(
            "%s fell %d events behind; closing it to reconnect",
            self.label,
            self.live.limits.queue_messages,
        )
        self.ws.close(reason=TRY_AGAIN_LATER, message="fell behind")
        deadline = time.monotonic() + LAST_LINES_SECONDS
        while message := subscription.get(timeout=max(0.0, deadline - time.monotonic())):
            if message["kind"] == CLOSED:
                break
            if message["kind"] == INCOMING:
                self._handle([message])

    def _handle(self, messages: list[dict]) -> bool:
        """Sends chat at once; returns whether the panels need a render. A
        message that fails is logged and dropped; the socket goes on."""
        try:
            panels_changed = False
            for message in messages:
                try:
                    panels_changed |= self._handle_one(message)
                except ConnectionClosed:
                    raise
                except Exception:
                    db.session.rollback()
                    log.exception(
                        "%s dropped a %s message that failed", self.label, message["kind"]
                    )
            return panels_changed
        finally:
            # A socket lives for hours: it must not pin a transaction (and on
            # SQLite a read lock) or see stale rows on the next event.
            db.session.remove()

    def _handle_one(self, message: dict) -> bool:
        kind = message["kind"]
        if kind in (CLOSED, OVERFLOWED):
            return False  # the loop sees ws.connected and subscription.overflowed
        if kind == RESYNC:  # the bus was away, or a worker died: events may be lost (#14)
            self.chat_log_due = True
            return True  # with the panels, so that two resyncs at once cost one render
        if kind == events.LOGGED_OUT:
            if is_logged_out(message, self.staff_login):
                self.ws.close(reason=POLICY_VIOLATION, message="logged out")
            return False
        if kind == INCOMING:
            self._take(message["data"])
        elif kind == "signal":
            self._pass_signal(message)
        elif kind in FILE_EVENTS:
            # A file for one participant costs the other sockets nothing.
            if message.get("recipient_id") in (None, self.viewer_id):
                self._send_files()
        elif kind == "chat":
            if message["message_id"] not in self.chat_ids_in_log:
                own = message.get("participant_id") == self.viewer_id
                self.ws.send(render_chat_line(message["line"], self.locale, spoken=not own))
        else:
            self._announce(message)
            return message.get("activity_kind") not in activities.UNLISTED
        return False

    def _announce(self, message: dict) -> None:
        """The one sentence a screen reader hears for this event, if any."""
        if message["kind"] not in announce.SPOKEN:
            return
        with force_locale(self.locale):
            sentence = announce.session_sentence(message, self.viewer_id)
            if sentence:
                self.ws.send(announce.announcement(sentence))

    def _send_everything(self) -> bool:
        return self._send_panels(with_chat_log=True)

    def _send_panels(self, with_chat_log: bool = False) -> bool:
        """Sends the viewer's panels; False once the session or the seat is over."""
        try:
            snapshot = self.live.panels.snapshot(
                self.support_session_id,
                self.locale,
                self.live.bus.generation(self.support_session_id),
            )
        finally:
            db.session.remove()
        kind = snapshot.kinds.get(self.viewer_id)
        if kind is None:  # this seat has left
            return False
        shown = snapshot.parts(kind)
        html = self._panels_moved(shown, whole=with_chat_log)
        if with_chat_log:
            try:
                chat_html, self.chat_ids_in_log = self._chat_log(snapshot, kind)
            finally:
                db.session.remove()
            html += chat_html
        if not snapshot.is_open:  # sent once: the page then closes its socket
            with force_locale(self.locale):
                html += announce.session_ended()
        if html:
            self.ws.send(html)
        self.panels_sent = shown  # only once sent: a failed chat log above is tried again
        return snapshot.is_open

    def _chat_log(self, snapshot, kind: str) -> tuple[str, frozenset[int]]:
        """The chat log this page is sent whole, and the lines it holds: the
        session's shared one, or a customer's own (only what was said since
        they joined) when the shared one holds lines from before."""
        shared = snapshot.chat_log.read()
        if kind.startswith("customer") and not snapshot.log_is_whole_for(self.viewer_id, shared):
            return customer_chat_log(self.viewer_id, self.locale)
        return shared.html, shared.ids

    def _panels_moved(self, shown: tuple[str, str], whole: bool) -> str:
        """Of `shown` (the participants panel, the others), what differs
        from what this page was last sent. A presence change moves only who
        is connected, and a page that was sent the other panels of the same
        build gets the participants panel alone: in a connect storm each
        arrival re-sent every page of its session all of its panels, and
        each page swapped them all (#18)."""
        participants, rest = shown
        sent = self.panels_sent
        if whole or sent is None or sent[1] is not rest:
            return participants + rest
        return "" if sent[0] is participants else participants

    def _send_files(self) -> None:
        viewer = sessions.participant_with_session(self.viewer_id)
        if viewer is None or viewer.left_at is not None:
            return
        context = files_panel_context(viewer)
        with force_locale(self.locale):
            html = render_template("session/_files.html", oob=True, **context)
            if viewer.is_staff:
                html += render_template("dashboard/_recordings.html", oob=True, **context)
        self.ws.send(html)

    def _take(self, raw: str) -> None:
        """What the page sends: a chat line (htmx ws-send), WebRTC signalling
        or what its browser can do (the media script)."""
        try:
            data = json.loads(raw) if len(raw) <= signals.MAX_BYTES else None
        except (ValueError, RecursionError):  # junk, or nested deeper than Python goes
            data = None
        if not isinstance(data, dict):
            log.warning("%s: malformed socket message dropped", self.label)
        elif "signal" in data:
            self._relay_signal(data)
        elif isinstance(data.get("microphone"), bool):
            activities.report_microphone(
                sessions.participant_with_session(self.viewer_id), data["microphone"]
            )
        elif isinstance(data.get("message"), str):
            self._take_chat_line(data["message"])
        else:
            log.warning("%s: socket message of no known shape dropped", self.label)

    def _relay_signal(self, data: dict) -> None:
        snapshot = self.live.panels.snapshot(
            self.support_session_id,
            self.locale,
            self.live.bus.generation(self.support_session_id),
        )
        message = signals.relayable(data, self.viewer_id, snapshot.kinds, snapshot.is_open)
        if message is None:
            log.warning("%s: signal dropped: %.200r", self.label, data)
            return
        self.live.publish(self.support_session_id, message)

    def _pass_signal(self, message: dict) -> None:
        if signals.is_for(message, self.viewer_id):
            self.ws.send(signals.as_frame(signals.delivered(message)))

    def _take_chat_line(self, text: str) -> None:
        error = ""
        try:
            chat.post_from_seat(self.viewer_id, text)
        except ServiceError as refused:
            db.session.rollback()
            with force_locale(self.locale):
                error = str(refused.message)
        except Exception:
            # Its writer must not think it was sent (#13 item 2).
            db.session.rollback()
            log.exception("%s: a chat line could not be stored", self.label)
            with force_locale(self.locale):
                error = _("Your message could not be sent. Try again.")
        if error or self.showing_chat_error:  # clear a shown error once, not every line
            self.showing_chat_error = bool(error)
            self.ws.send(render_template("session/_chat_error.html", message=error))

    def _await_client_close(self) -> None:
        """The final panel removes the page's ws-connect element, so the browser
        closes the socket itself. Closing from here first races the dev server's
        response bytes and can reach the browser as an abnormal closure (1006),
        which htmx answers by reconnecting before the final panel is shown."""
        deadline = time.monotonic() + FINAL_CLOSE_WAIT_SECONDS
        try:
            while time.monotonic() < deadline:
                self.ws.receive(timeout=0.1)
            self.ws.close(reason=NORMAL_CLOSURE, message="session over")
        except ConnectionClosed:
            pass
