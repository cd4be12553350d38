"""The bus across processes: publish through Redis, one listener thread per
process feeding the local fan-out (DESIGN.md "live").

Pub/sub channels are server-wide, whatever database REDIS_URL names: each
channel starts with the deployment's namespace, or staging's chat would reach
production's session of the same id (#19)."""

import json
import logging
import re
import threading
import time

import redis

from webapp.live import redis_client
from webapp.live.bus import RESYNC, LocalBus, Subscription

log = logging.getLogger(__name__)
CHANNEL_NUMBER = re.compile(r"-?[0-9]+")  # session ids, and user channels negated


class RedisBus(LocalBus):
    def __init__(self, url: str, namespace: str):
        super().__init__()
        self._prefix = f"{namespace}:session:"
        self._redis = redis_client.connect(url)
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._ready = threading.Event()

    def publish(self, channel: int, message: dict) -> None:
        # The time rides along, for the delivery-latency metric across workers.
        envelope = {"message": message, "published_at": time.time()}
        self._redis.publish(f"{self._prefix}{channel}", json.dumps(envelope))

    def subscribe(self, channel: int, **options) -> Subscription:
        subscription = super().subscribe(channel, **options)
        self._ensure_listener()
        return subscription

    def _ensure_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="redis-bus", daemon=True
                )
                self._listener.start()
        # An event published right after the first subscribe must not be missed.
        self._ready.wait(5)

    def _listen(self) -> None:
        connected_before = False
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{self._prefix}*")
                pubsub.get_message(timeout=1)  # the psubscribe confirmation
                self._ready.set()
                if connected_before:
                    self._resync_all()
                connected_before = True
                for item in pubsub.listen():
                    if item["type"] == "pmessage":
                        self._deliver_published(item["channel"], item["data"])
            except (redis.RedisError, OSError):
                log.exception("redis bus listener failed; reconnecting")
                time.sleep(1)

    def _resync_all(self) -> None:
        """Events published while Redis was away are lost: every socket of
        this process re-sends its page's panels and chat (#14 item 5)."""
        with self._lock:
            channels = list(self._subscribers)
        for channel in channels:
            self.deliver(channel, {"kind": RESYNC})

    def _deliver_published(self, channel_name: bytes, data: bytes) -> None:
        # A longer prefix of another deployment ("prod:session:x" under our
        # "prod") can match our pattern: anything but our own numbers is dropped.
        suffix = channel_name.decode(errors="replace").removeprefix(self._prefix)
        if not CHANNEL_NUMBER.fullmatch(suffix):
            log.warning("dropped a message on a channel that is not ours: %r", channel_name)
            return
        try:
            envelope = json.loads(data)
        except ValueError:
            log.warning("dropped a message that is not JSON on %r", channel_name)
            return
        message = envelope.get("message") if isinstance(envelope, dict) else None
        published_at = envelope.get("published_at") if isinstance(envelope, dict) else None
        if isinstance(message, dict):
            at = published_at if isinstance(published_at, int | float) else None
            self.deliver(int(suffix), message, at)
