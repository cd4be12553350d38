"""Presence in Redis: any worker may hold a participant's socket, and exactly
one worker's reaper ends a session whose controller stayed away (R1.5).

Each socket is a member of its participant's sorted set, scored with the time
it stops counting unless its worker heartbeats it (the reaper thread does, for
all of the worker's sockets at once); a worker killed outright thus stops
counting after HEARTBEAT_TTL. Deadlines sit in one sorted set; the
reaper that removes an entry (ZREM answers 1 to one caller) owns it.
"""

import threading
import time
from collections.abc import Callable

import redis

from webapp.live.presence import HEARTBEAT_SECONDS, Presence

KEY = "supportcenter:presence"
HEARTBEAT_TTL = 3 * HEARTBEAT_SECONDS
WATCH_SCAN_SECONDS = 2.0


class RedisPresence(Presence):
    def __init__(self, url: str, grace_seconds: float, on_expired: Callable[[int, int], None]):
        super().__init__(grace_seconds, on_expired)
        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._deadlines = f"{KEY}:deadlines"
        self._sessions = f"{KEY}:sessions"  # participant -> session, for the reaper
        self._watched = f"{KEY}:watched"  # participants with sockets, for crash scans
        self._next_scan = 0.0
        self._next_heartbeat = 0.0
        # This process's open sockets: refreshed together, in one round trip.
        self._local: dict[str, int] = {}  # connection -> participant
        self._local_lock = threading.Lock()

    def _connections(self, participant_id: int) -> str:
        return f"{KEY}:connections:{participant_id}"

    def connect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        key = self._connections(participant_id)
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zadd(key, {connection_id: now + HEARTBEAT_TTL})
        pipe.zcard(key)
        pipe.zrem(self._deadlines, participant_id)
        pipe.hset(self._sessions, participant_id, support_session_id)
        pipe.sadd(self._watched, participant_id)
        live_count = pipe.execute()[2]
        with self._local_lock:
            self._local[connection_id] = participant_id
        self._ensure_reaper()
        return live_count == 1

    def _heartbeat_all(self, now: float) -> None:
        """One pipeline refreshes every socket this process holds: a thousand
        sockets heartbeating one by one were 500 round trips a second."""
        with self._local_lock:
            local = list(self._local.items())
        if not local:
            return
        pipe = self._redis.pipeline(transaction=False)
        for connection_id, participant_id in local:
            pipe.zadd(
                self._connections(participant_id), {connection_id: now + HEARTBEAT_TTL}, xx=True
            )
        pipe.execute()

    def disconnect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        with self._local_lock:
            self._local.pop(connection_id, None)
        key = self._connections(participant_id)
        pipe = self._redis.pipeline()
        pipe.zrem(key, connection_id)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        if pipe.execute()[2]:
            return False
        self._start_grace(participant_id, support_session_id, time.time() + self.grace_seconds)
        return True

    def expect(self, participant_id: int, support_session_id: int) -> None:
        # One round trip on every dashboard view: set the deadline unasked
        # (NX keeps an earlier one); a socket that arrives removes it, and the
        # reaper skips anyone with a live socket anyway.
        self._start_grace(participant_id, support_session_id, time.time() + self.grace_seconds)

    def connected_among(self, participant_ids: list[int]) -> set[int]:
        if not participant_ids:
            return set()
        now = time.time()
        pipe = self._redis.pipeline()
        for participant_id in participant_ids:
            pipe.zcount(self._connections(participant_id), now, "+inf")
        counts = pipe.execute()
        return {pid for pid, count in zip(participant_ids, counts, strict=True) if count}

    def _live_count(self, participant_id: int) -> int:
        return self._redis.zcount(self._connections(participant_id), time.time(), "+inf")

    def _start_grace(self, participant_id: int, support_session_id: int, when: float) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(self._sessions, participant_id, support_session_id)
        pipe.zadd(self._deadlines, {participant_id: when}, nx=True)
        pipe.execute()
        self._ensure_reaper()

    def _take_due(self, now: float) -> list[tuple[int, int]]:
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_SECONDS
            self._heartbeat_all(now)
        if now >= self._next_scan:
            self._next_scan = now + WATCH_SCAN_SECONDS
            self._watch_for_crashed_workers(now)
        due = []
        for member in self._redis.zrangebyscore(self._deadlines, "-inf", now):
            participant_id = int(member)
            if not self._redis.zrem(self._deadlines, member):
                continue  # another worker's reaper took it
            if self._live_count(participant_id):
                continue  # came back in time
            support_session_id = self._redis.hget(self._sessions, participant_id)
            if support_session_id is not None:
                due.append((participant_id, int(support_session_id)))
        return due

    def _watch_for_crashed_workers(self, now: float) -> None:
        """A killed worker never calls disconnect; its sockets just stop being
        heartbeated. Give such participants the grace period they would have had."""
        watched = [int(member) for member in self._redis.smembers(self._watched)]
        if not watched:
            return
        gone = set(watched) - self.connected_among(watched)
        if not gone:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.srem(self._watched, *gone)
        pipe.hmget(self._sessions, list(gone))
        _, session_ids = pipe.execute()
        for participant_id, support_session_id in zip(gone, session_ids, strict=True):
            if support_session_id is not None:
                self._start_grace(participant_id, int(support_session_id), now + self.grace_seconds)
