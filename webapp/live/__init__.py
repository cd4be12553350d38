"""The realtime layer: bus, presence and per-viewer push (DESIGN.md "live")."""

import threading
from datetime import UTC, datetime

from flask import Flask

from webapp.live.bus import LocalBus
from webapp.live.limits import SocketLimits
from webapp.live.presence import Deadline, LocalPresence, Presence


class Live:
    def __init__(self, app: Flask):
        self.app = app
        self._redis_url = app.config.get("REDIS_URL")
        self._grace = app.config["PRESENCE_GRACE_SECONDS"]
        self._bus: LocalBus | None = None
        self._presence: Presence | None = None
        self._namespace: str | None = None
        self._connect_lock = threading.Lock()
        if not self._redis_url:
            self._bus = LocalBus()
            self._presence = LocalPresence(self._grace, self._participant_gone)

        from webapp.live.push import ChatLineCache, PanelCache

        self.panels = PanelCache()
        self.chat_lines = ChatLineCache()
        self.limits = SocketLimits(app)

    @property
    def bus(self) -> LocalBus:
        if self._bus is None:
            self._connect_redis()
        return self._bus

    @property
    def presence(self) -> Presence:
        if self._presence is None:
            self._connect_redis()
        return self._presence

    @property
    def redis_namespace(self) -> str | None:
        """What our Redis keys start with; None when nothing is in Redis."""
        if self._redis_url and self._namespace is None:
            self._connect_redis()
        return self._namespace

    def _connect_redis(self) -> None:
        """On first use, not at start: the namespace may live in a database
        that `flask db upgrade` has yet to create."""
        from webapp.live.namespace import redis_namespace
        from webapp.live.redis_bus import RedisBus
        from webapp.live.redis_presence import RedisPresence

        with self._connect_lock:
            if self._bus is not None:
                return
            namespace = redis_namespace(self.app)
            self._presence = RedisPresence(
                self._redis_url, namespace, self._grace, self._participant_gone
            )
            self._bus = RedisBus(self._redis_url, namespace)
            self._namespace = namespace

    def publish(self, support_session_id: int, message: dict) -> None:
        self.bus.publish(support_session_id, message)

    def stop(self) -> None:
        if self._presence is not None:
            self._presence.stop()

    def _participant_gone(self, deadline: Deadline) -> None:
        from webapp.extensions import db
        from webapp.services.sessions import participant_gone

        set_at = datetime.fromtimestamp(deadline.set_at, UTC).replace(tzinfo=None)
        with self.app.app_context():
            try:
                participant_gone(deadline.support_session_id, deadline.participant_id, set_at)
            finally:
                db.session.remove()


def decline_socket_compression() -> None:
    """simple_websocket always accepts permessage-deflate with 32 KiB windows:
    a zlib state of some 300 KiB per socket and a compression pass per frame,
    for fragments of a few hundred bytes (bench/README.md). It has no option
    for this, so its extension class is swapped for one that declines."""
    from simple_websocket import ws as simple_ws
    from wsproto.extensions import PerMessageDeflate

    class DeclinedDeflate(PerMessageDeflate):
        def accept(self, offer: str) -> None:
            return None

    simple_ws.PerMessageDeflate = DeclinedDeflate


def init_app(app: Flask) -> Live:
    if not app.config.get("WEBSOCKET_COMPRESSION"):
        decline_socket_compression()
    # simple_websocket counts a message as it arrives and refuses it with 1009
    # past this size, before it has buffered more (#13 item 2).
    app.config["SOCK_SERVER_OPTIONS"] = {
        **app.config.get("SOCK_SERVER_OPTIONS", {}),
        "max_message_size": app.config["LIVE_MAX_MESSAGE_BYTES"],
    }
    live = Live(app)
    app.extensions["live"] = live
    return live
