"""Delivers session events to the sockets subscribed in this process.

`LocalBus` fans out in-process. With REDIS_URL a `RedisBus` publishes through
Redis and one listener thread per process feeds the same local fan-out, so
every worker's sockets hear every worker's events.
"""

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple

from webapp.metrics import DELIVERIES, DELIVERY_SECONDS, OPEN_SOCKETS

RESYNC = "resync"  # a socket sends its page everything again
PRESENCE = "presence"  # a page of the session opened, or its last one closed


class Generation(NamedTuple):
    """How many events this process has heard on a channel, signals not
    counted (they change no panel): `events` all the others, `changes`
    those other than presence. Sockets that render at the same generation
    share one render; one that moved only by presence re-renders only who
    is connected (#18's connect storms)."""

    events: int = 0
    changes: int = 0


def user_channel(user_id: int) -> int:
    """A staff member's own channel (the multi-session window's tabs, the
    agent's incoming sessions). Session channels are session ids, so a user's
    is its id negated: both buses carry it as the same kind of number."""
    return -user_id


# What a full subscription's reader gets instead of what no longer fit.
OVERFLOWED = "overflow"
OVERFLOW = {"kind": OVERFLOWED}


class Subscription:
    """One socket's queue. Bounded: a socket that falls behind gets OVERFLOW
    once, then nothing more, and is closed by its handler; a queue that grew
    instead held 180 MB for one page that never read (#13 item 2)."""

    def __init__(
        self,
        bus: "LocalBus",
        channel: int,
        limit: int | None = None,
        accepts: Callable[[dict], bool] | None = None,
    ):
        self._bus = bus
        self.channel = channel
        # A list and an event where a SimpleQueue was: gevent's held three
        # deques, 2.8 KiB for each idle socket; these hold 0.4 KiB (#18).
        # The event is set exactly while the list holds a message.
        self._messages: list[dict] = []
        self._ready = threading.Event()
        self._limit = limit
        self._accepts = accepts
        self._lock = threading.Lock()
        self.overflowed = False

    def put(self, message: dict) -> None:
        """A bus message; dropped if this socket would not send it anyway."""
        if self._accepts is not None and not self._accepts(message):
            return
        with self._lock:
            if self.overflowed:
                return
            if self._limit is not None and len(self._messages) >= self._limit:
                self.overflowed = True
                message = OVERFLOW
            self._append(message)

    def put_own(self, message: dict) -> None:
        """What the socket's own reader hands its writer: never dropped, so a
        chat line is stored even by a socket about to close (the reader is
        rate limited instead)."""
        with self._lock:
            self._append(message)

    def _append(self, message: dict) -> None:
        self._messages.append(message)
        self._ready.set()

    def get(self, timeout: float) -> dict | None:
        if not self._ready.wait(timeout):
            return None
        with self._lock:  # one reader: the socket's handler
            message = self._messages.pop(0) if self._messages else None
            if not self._messages:
                self._ready.clear()
        return message

    def drain(self) -> list[dict]:
        """Everything queued now: a burst of events needs one render, not many."""
        with self._lock:
            messages, self._messages = self._messages, []
            self._ready.clear()
        return messages

    def close(self) -> None:
        self._bus.unsubscribe(self)


class LocalBus:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[Subscription]] = defaultdict(set)
        self._generations: dict[int, Generation] = defaultdict(Generation)
        self._lock = threading.Lock()

    def subscribe(
        self,
        channel: int,
        limit: int | None = None,
        accepts: Callable[[dict], bool] | None = None,
    ) -> Subscription:
        subscription = Subscription(self, channel, limit, accepts)
        with self._lock:
            self._subscribers[channel].add(subscription)
        OPEN_SOCKETS.inc()  # every socket holds one subscription
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.channel)
            if subscribers is None or subscription not in subscribers:
                return
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.channel]
        OPEN_SOCKETS.dec()

    def publish(self, channel: int, message: dict) -> None:
        self.deliver(channel, message, time.time())

    def deliver(self, channel: int, message: dict, published_at: float | None = None) -> None:
        with self._lock:
            kind = message.get("kind")
            if kind != "signal":
                events, changes = self._generations[channel]
                self._generations[channel] = Generation(events + 1, changes + (kind != PRESENCE))
            subscribers = list(self._subscribers.get(channel, ()))
        if subscribers:
            DELIVERIES.inc(len(subscribers))
            if published_at is not None:
                DELIVERY_SECONDS.observe(max(0.0, time.time() - published_at))
        for subscription in subscribers:
            subscription.put(message)

    def generation(self, channel: int) -> Generation:
        with self._lock:
            return self._generations[channel]

    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subscribers.values())
