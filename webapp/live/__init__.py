"""The realtime layer: bus, presence and per-viewer push (DESIGN.md "live")."""

import threading
import time
from datetime import UTC, datetime

from flask import Flask

from webapp.extensions import db
from webapp.live.bus import LocalBus
from webapp.live.idle_socket import OneSocketSelector
from webapp.live.limits import SocketLimits
from webapp.live.presence import Deadline, LocalPresence, Presence
from webapp.live.push import ChatLineCache
from webapp.live.snapshots import PanelCache
from webapp.models.base import utcnow
from webapp.services import offer_timeout, queue_grace
from webapp.services.sessions import participant_gone

OFFER_SWEEP_SECONDS = 5.0  # an offer lapses at most this long after its timeout


class Live:
    def __init__(self, app: Flask):
        self.app = app
        self._redis_url = app.config.get("REDIS_URL")
        self._grace = app.config["PRESENCE_GRACE_SECONDS"]
        self.arrival_seconds = max(self._grace, app.config["PRESENCE_ARRIVAL_SECONDS"])
        self._queue_grace = app.config["QUEUE_GRACE_SECONDS"]
        self._offer_timeout = app.config["OFFER_TIMEOUT_SECONDS"]
        self._next_offer_sweep = 0.0
        self._bus: LocalBus | None = None
        self._presence: Presence | None = None
        self._namespace: str | None = None
        self._connect_lock = threading.Lock()
        if not self._redis_url:
            self._bus = LocalBus()
            self._presence = LocalPresence(self._grace, self._participant_gone, self._queue_grace)
            self._presence.sweep = self._expect_waiting_customers
            self._presence.tick = self._sweep_offers

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
                self._redis_url, namespace, self._grace, self._participant_gone, self._queue_grace
            )
            self._presence.sweep = self._expect_waiting_customers
            self._presence.socket_lapsed = self._resync_session
            self._presence.tick = self._sweep_offers
            self._bus = RedisBus(self._redis_url, namespace)
            self._namespace = namespace

    def ping_redis(self) -> None:
        """Raises when Redis does not answer (readiness, #14)."""
        import redis

        redis.Redis.from_url(self._redis_url, socket_timeout=2, socket_connect_timeout=2).ping()

    def publish(self, support_session_id: int, message: dict) -> None:
        self.bus.publish(support_session_id, message)

    def _resync_session(self, support_session_id: int) -> None:
        """A worker was killed, perhaps between storing a chat line and
        announcing it: every page of the session, on every worker, is sent
        its panels and chat again (#14 item 5)."""
        from webapp.live.bus import RESYNC

        self.publish(support_session_id, {"kind": RESYNC})

    def stop(self) -> None:
        if self._presence is not None:
            self._presence.stop()

    def _participant_gone(self, deadline: Deadline) -> None:
        participant_id, support_session_id = deadline.participant_id, deadline.support_session_id
        set_at = datetime.fromtimestamp(deadline.set_at, UTC).replace(tzinfo=None)
        with self.app.app_context():
            try:
                if deadline.held:
                    self._queue_grace_over(deadline, set_at)
                elif queue_grace.keeps_place(support_session_id, participant_id, set_at):
                    # A customer waiting for an agent keeps its place longer
                    # than a page: QUEUE_GRACE_SECONDS from the same moment.
                    self.presence.hold(participant_id, support_session_id, deadline.set_at)
                else:
                    participant_gone(support_session_id, participant_id, set_at)
            finally:
                db.session.remove()

    def _sweep_offers(self) -> None:
        """Every worker sweeps for lapsed offers, a few times per timeout:
        the database decides which of them acts (services/offer_timeout.py)."""
        if time.monotonic() < self._next_offer_sweep:
            return
        pace = min(OFFER_SWEEP_SECONDS, self._offer_timeout / 4)
        self._next_offer_sweep = time.monotonic() + pace
        with self.app.app_context():
            try:
                offer_timeout.sweep(utcnow(), self._offer_timeout)
            finally:
                db.session.remove()

    def _expect_waiting_customers(self) -> None:
        """Customers waiting in a queue with no socket are expected again: a
        restart forgets in-process deadlines, and a worker killed while it
        handled one loses it, and none may wait unseen for good (#13 item 3).
        A customer that has a deadline keeps it."""
        with self.app.app_context():
            try:
                waiting = queue_grace.waiting_customers()
            finally:
                db.session.remove()
        online = self.presence.connected_among([participant_id for participant_id, _ in waiting])
        for participant_id, support_session_id in waiting:
            if participant_id not in online:
                self.presence.expect(participant_id, support_session_id)

    def _queue_grace_over(self, deadline: Deadline, set_at: datetime) -> None:
        """Until the service says the seat is settled, the held deadline comes
        back at the reaper's next turn: a lost compare-and-set, or a database
        that failed for a moment, must not leave a customer waiting in a
        queue for good (why cf2989c reverted the first try)."""
        settled = False
        try:
            settled = queue_grace.grace_over(
                deadline.support_session_id, deadline.participant_id, set_at
            )
        finally:
            if not settled:
                self.presence.hold(
                    deadline.participant_id, deadline.support_session_id, deadline.set_at
                )


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
        "selector_class": OneSocketSelector,
    }
    live = Live(app)
    app.extensions["live"] = live
    return live
