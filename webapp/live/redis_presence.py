"""Presence in Redis: any worker may hold a participant's socket, and exactly
one worker's reaper ends a session whose controller stayed away (R1.5).

Each socket is a member of its participant's sorted set, scored with the time
it stops counting unless its worker heartbeats it (the reaper thread does, for
all of the worker's sockets at once); a worker killed outright thus stops
counting after HEARTBEAT_TTL. Deadlines sit in one sorted set as
"participant:session", or "participant:session:held" for a seat's longer
grace (`hold`); the reaper that removes an entry (ZREM answers 1 to one
caller) owns it. Every key starts with the deployment's namespace (#19).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from webapp.live import redis_client
from webapp.live.presence import HEARTBEAT_SECONDS, Deadline, Presence

log = logging.getLogger(__name__)
HEARTBEAT_TTL = 3 * HEARTBEAT_SECONDS
WATCH_SCAN_SECONDS = 2.0
HELD = ":held"


# The heartbeat and the crash scan run inside Redis, one command each however
# many sockets: as pipelines of a command per socket or seat, redis-py's
# packing and parsing held a worker's only thread for 10 ms a heartbeat and
# 50 ms a scan at 1,000 sockets, and every chat line waiting behind them
# was that much later (#18). The connection keys are built from a prefix,
# as Python builds them; this holds on one Redis, not on a Redis Cluster.
_HEARTBEAT = """
local lost = {}
for i = 3, #ARGV, 2 do
  if redis.call('ZADD', ARGV[1] .. ARGV[i + 1], 'XX', 'CH', ARGV[2], ARGV[i]) == 0 then
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
_SCAN = """
local lapsed, gone = {}, {}
for _, seat in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local participant = string.match(seat, '^(%d+):%d+$')
  if participant then
    local connections = ARGV[1] .. participant
    if redis.call('ZREMRANGEBYSCORE', connections, '-inf', ARGV[2]) > 0 then
      table.insert(lapsed, seat)
    end
    if redis.call('ZCARD', connections) == 0 then
      redis.call('SREM', KEYS[1], seat)
      redis.call('ZADD', KEYS[2], 'NX', ARGV[3], seat)
      table.insert(gone, seat)
    end
  end
end
return {lapsed, gone}
"""


def seat_member(participant_id: int, support_session_id: int) -> str:
    return f"{participant_id}:{support_session_id}"


def parse_seat_member(member: str) -> tuple[int, int] | None:
    participant, _, session = member.partition(":")
    if not (participant.isdigit() and session.isdigit()):
        return None
    return int(participant), int(session)


class RedisPresence(Presence):
    def __init__(
        self,
        url: str,
        namespace: str,
        grace_seconds: float,
        on_expired: Callable[[Deadline], None],
        hold_seconds: float | None = None,
    ):
        super().__init__(grace_seconds, on_expired, hold_seconds)
        self._redis = redis_client.connect(url, decode_responses=True)
        self._key = f"{namespace}:presence"
        self._deadlines = f"{self._key}:deadlines"
        self._connections_prefix = f"{self._key}:connections:"  # + participant id
        self._watched = f"{self._key}:watched"  # seats with sockets, for crash scans
        self._scan_turn = f"{self._key}:scan-turn"  # which worker scans now
        self._next_scan = 0.0
        self._worker_id = uuid.uuid4().hex
        self._next_heartbeat = 0.0
        # This process's open sockets: refreshed together, in one round trip.
        self._local: dict[str, int] = {}  # connection -> participant
        self._local_lock = threading.Lock()
        self._heartbeat = self._redis.register_script(_HEARTBEAT)
        self._scan = self._redis.register_script(_SCAN)

    def _connections(self, participant_id: int) -> str:
        return f"{self._connections_prefix}{participant_id}"

    def connect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        key = self._connections(participant_id)
        seat = seat_member(participant_id, support_session_id)
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zadd(key, {connection_id: now + HEARTBEAT_TTL})
        pipe.zcard(key)
        pipe.zrem(self._deadlines, seat, seat + HELD)
        pipe.sadd(self._watched, seat)
        lapsed, _, live_count, *_ = pipe.execute()
        with self._local_lock:
            self._local[connection_id] = participant_id
        self._ensure_reaper()
        if lapsed:
            self._lapsed(support_session_id)
        return live_count == 1

    def _heartbeat_all(self, now: float) -> None:
        """One command refreshes every socket this process holds: a thousand
        sockets heartbeating one by one were 500 round trips a second. A
        socket Redis no longer knows (it restarted, empty) is added back."""
        with self._local_lock:
            local = dict(self._local)
        if not local:
            return
        pairs = [value for entry in local.items() for value in entry]
        lost = self._heartbeat(args=[self._connections_prefix, now + HEARTBEAT_TTL, *pairs])
        with self._local_lock:  # not closed meanwhile
            lost = [(c, local[c]) for c in lost if self._local.get(c) == local[c]]
        if lost:
            pipe = self._redis.pipeline(transaction=False)
            for connection_id, participant_id in lost:
                pipe.zadd(self._connections(participant_id), {connection_id: now + HEARTBEAT_TTL})
            pipe.execute()

    def disconnect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        with self._local_lock:
            self._local.pop(connection_id, None)
        key = self._connections(participant_id)
        pipe = self._redis.pipeline()
        pipe.zrem(key, connection_id)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        _, lapsed, live_count = pipe.execute()
        if lapsed:
            self._lapsed(support_session_id)
        if live_count:
            return False
        self._start_grace(participant_id, support_session_id, time.time() + self.grace_seconds)
        return True

    def expect(
        self, participant_id: int, support_session_id: int, within: float | None = None
    ) -> None:
        # One round trip on every dashboard view: set the deadline unasked
        # (NX keeps an earlier one); a socket that arrives removes it, and the
        # reaper skips anyone with a live socket anyway. A longer `within`
        # reads back as set that much later (`_take_due`), which only errs
        # toward keeping the seat.
        seconds = self.grace_seconds if within is None else within
        self._start_grace(participant_id, support_session_id, time.time() + seconds)

    def hold(self, participant_id: int, support_session_id: int, since: float) -> None:
        # No check for a socket here: one may arrive right after it, and the
        # reaper skips anyone with a live socket anyway. NX keeps the earlier
        # of two holds (a crashed worker's seat may be given a grace twice).
        member = seat_member(participant_id, support_session_id) + HELD
        self._redis.zadd(self._deadlines, {member: since + self.hold_seconds}, nx=True)
        self._ensure_reaper()

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
        seat = seat_member(participant_id, support_session_id)
        self._redis.zadd(self._deadlines, {seat: when}, nx=True)
        self._ensure_reaper()

    def _take_due(self, now: float) -> list[Deadline]:
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_SECONDS
            self._heartbeat_all(now)
        if now >= self._next_scan:
            self._next_scan = now + WATCH_SCAN_SECONDS
            if self._my_turn_to_scan():
                self._watch_for_crashed_workers(now)
        due = []
        overdue = self._redis.zrangebyscore(self._deadlines, "-inf", now, withscores=True)
        for member, when in overdue:
            if not self._redis.zrem(self._deadlines, member):
                continue  # another worker's reaper took it
            held = member.endswith(HELD)
            seat = parse_seat_member(member.removesuffix(HELD))
            if seat is None:
                log.warning("dropped a presence deadline that names no seat: %r", member)
                continue
            participant_id, support_session_id = seat
            if self._live_count(participant_id):
                continue  # came back in time
            grace = self.hold_seconds if held else self.grace_seconds
            due.append(Deadline(participant_id, support_session_id, when - grace, held))
        return due

    def _lapsed(self, support_session_id: int) -> None:
        """A socket stopped counting without a disconnect: its worker died."""
        if self.socket_lapsed is None:
            return
        try:
            self.socket_lapsed(support_session_id)
        except Exception:  # the caller's own work must go on
            log.exception("could not resync session %s after a lapsed socket", support_session_id)

    def _my_turn_to_scan(self) -> bool:
        """One worker of the deployment scans at a time: each scan reads every
        watched seat in two pipelines, and every worker doing it was 7 % of
        a chatting worker's CPU at 1,000 sockets (#18). The turn lapses just
        before its holder's next scan, so the holder keeps it while it lives
        and another worker takes over within a scan or two once it dies."""
        turn_ms = int(WATCH_SCAN_SECONDS * 900)
        return bool(self._redis.set(self._scan_turn, self._worker_id, nx=True, px=turn_ms))

    def _watch_for_crashed_workers(self, now: float) -> None:
        """A killed worker never calls disconnect; its sockets just stop being
        heartbeated. Give such seats the grace period they would have had.

        Sockets that lapsed while their pages are back elsewhere: only the
        worker whose ZREMRANGEBYSCORE removes them says so, once a session
        (a killed worker's fifty sockets in one session: one resync, not
        fifty)."""
        lapsed, gone = self._scan(
            keys=[self._watched, self._deadlines],
            args=[self._connections_prefix, now, now + self.grace_seconds],
        )
        for support_session_id in {parse_seat_member(seat)[1] for seat in lapsed}:
            self._lapsed(support_session_id)
        if gone:
            self._ensure_reaper()
