"""The bus across processes: publish through Redis, one listener thread per
process feeding the local fan-out (DESIGN.md "live")."""

import json
import logging
import threading
import time

import redis

from webapp.live.bus import LocalBus, Subscription

log = logging.getLogger(__name__)
PREFIX = "supportcenter:session:"


class RedisBus(LocalBus):
    def __init__(self, url: str):
        super().__init__()
        self._redis = redis.Redis.from_url(url)
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._ready = threading.Event()

    def publish(self, channel: int, message: dict) -> None:
        self._redis.publish(f"{PREFIX}{channel}", json.dumps(message))

    def subscribe(self, channel: int) -> Subscription:
        subscription = super().subscribe(channel)
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
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{PREFIX}*")
                pubsub.get_message(timeout=1)  # the psubscribe confirmation
                self._ready.set()
                for item in pubsub.listen():
                    if item["type"] != "pmessage":
                        continue
                    channel = int(item["channel"].decode().removeprefix(PREFIX))
                    self.deliver(channel, json.loads(item["data"]))
            except (redis.RedisError, OSError, ValueError):
                log.exception("redis bus listener failed; reconnecting")
                time.sleep(1)
