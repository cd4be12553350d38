"""The realtime layer: bus, presence and per-viewer push (DESIGN.md "live")."""

from flask import Flask

from webapp.live.bus import LocalBus
from webapp.live.presence import LocalPresence, Presence


class Live:
    def __init__(self, app: Flask):
        self.app = app
        redis_url = app.config.get("REDIS_URL")
        grace = app.config["PRESENCE_GRACE_SECONDS"]
        self.bus: LocalBus
        self.presence: Presence
        if redis_url:
            from webapp.live.redis_bus import RedisBus
            from webapp.live.redis_presence import RedisPresence

            self.bus = RedisBus(redis_url)
            self.presence = RedisPresence(redis_url, grace, self._participant_gone)
        else:
            self.bus = LocalBus()
            self.presence = LocalPresence(grace, self._participant_gone)

        from webapp.live.push import ChatLineCache, PanelCache

        self.panels = PanelCache()
        self.chat_lines = ChatLineCache()

    def publish(self, support_session_id: int, message: dict) -> None:
        self.bus.publish(support_session_id, message)

    def _participant_gone(self, support_session_id: int, participant_id: int) -> None:
        from webapp.extensions import db
        from webapp.services.sessions import participant_gone

        with self.app.app_context():
            try:
                participant_gone(support_session_id, participant_id)
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
    live = Live(app)
    app.extensions["live"] = live
    return live
