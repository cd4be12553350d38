"""Who has a live socket, and the grace period before an absent controller
ends the session (R1.5).

A reload closes the old socket and opens a new one within a second or two;
closing the tab or navigating away leaves nothing. So a session ends only when
its controller has had no socket for PRESENCE_GRACE_SECONDS.

A service may ask for a longer grace for one seat once the first has run out
(`hold`): a customer waiting in a queue keeps its place QUEUE_GRACE_SECONDS,
counted from the same moment the page went (#13 item 3).

`LocalPresence` keeps this in the process; `RedisPresence` (redis_presence.py)
keeps it in Redis so a socket may come back on another worker or machine.
Both share the reaper here: a thread that hands each overdue deadline to
`on_expired` exactly once.
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 2.0  # how often a worker refreshes its sockets' presence
SWEEP_SECONDS = 30.0  # how often the reaper runs `sweep`


class Deadline(NamedTuple):
    """A grace period that ran out. It names the session and when it was set,
    so the service can refuse one that outlived the seat it was set for
    (a database recreated under surviving Redis keys, issue #19)."""

    participant_id: int
    support_session_id: int
    set_at: float  # epoch seconds
    held: bool = False  # the longer grace of `hold` ran out, not the page's


class Presence:
    # Run by the reaper every SWEEP_SECONDS, for what no deadline may cover:
    # a restart forgets in-process deadlines (Live sets it).
    sweep: Callable[[], None] | None = None
    # Told a session's id when a socket in it lapsed (its worker was killed):
    # what that worker stored in its last moment may never have been
    # announced, so the session's pages are sent everything again (Live sets it).
    socket_lapsed: Callable[[int], None] | None = None
    # Run by the reaper on every turn, for timers kept in the database (offers
    # that lapse, #17 item 5); it paces itself (Live sets it).
    tick: Callable[[], None] | None = None

    def __init__(
        self,
        grace_seconds: float,
        on_expired: Callable[[Deadline], None],
        hold_seconds: float | None = None,
    ):
        self.grace_seconds = grace_seconds
        self.hold_seconds = grace_seconds if hold_seconds is None else hold_seconds
        self._on_expired = on_expired
        self._reaper: threading.Thread | None = None
        self._reaper_lock = threading.Lock()
        self._stopping = threading.Event()

    # The storage: subclasses keep connections and deadlines.
    def connect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        """Records a socket; True when it is the participant's first (came online)."""
        raise NotImplementedError

    def disconnect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        """Forgets a socket; True when none is left (went offline, grace starts)."""
        raise NotImplementedError

    def expect(
        self, participant_id: int, support_session_id: int, within: float | None = None
    ) -> None:
        """A page was served: if its socket never arrives, treat it as gone,
        after `within` seconds (the grace when not given)."""
        raise NotImplementedError

    def hold(self, participant_id: int, support_session_id: int, since: float) -> None:
        """The seat's page grace ran out but the seat may wait longer: a held
        deadline at `since` + hold_seconds, which a socket removes like any
        other. `since` is when the page went, so the wait is counted once;
        a hold that is already due (a retry) comes at the reaper's next turn."""
        raise NotImplementedError

    def connected_among(self, participant_ids: list[int]) -> set[int]:
        raise NotImplementedError

    def is_connected(self, participant_id: int) -> bool:
        return participant_id in self.connected_among([participant_id])

    def _take_due(self, now: float) -> list[Deadline]:
        """Removes and returns the deadlines whose grace ran out."""
        raise NotImplementedError

    # The reaper.
    def stop(self) -> None:
        self._stopping.set()

    def _ensure_reaper(self) -> None:
        with self._reaper_lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            self._reaper = threading.Thread(target=self._reap, name="presence-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        next_sweep = time.monotonic()
        while not self._stopping.wait(min(0.5, self.grace_seconds / 4)):
            if self.sweep is not None and time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + SWEEP_SECONDS
                try:
                    self.sweep()
                except Exception:
                    log.exception("presence sweep failed")
            if self.tick is not None:
                try:
                    self.tick()
                except Exception:
                    log.exception("presence tick failed")
            try:
                due = self._take_due(time.time())
            except Exception:  # a storage hiccup must not stop the reaper
                log.exception("presence reaper could not read deadlines")
                continue
            for deadline in due:
                try:
                    self._on_expired(deadline)
                except Exception:  # the reaper must outlive one bad session
                    log.exception("ending session %s failed", deadline.support_session_id)


class LocalPresence(Presence):
    def __init__(
        self,
        grace_seconds: float,
        on_expired: Callable[[Deadline], None],
        hold_seconds: float | None = None,
    ):
        super().__init__(grace_seconds, on_expired, hold_seconds)
        self._connections: dict[int, set[str]] = defaultdict(set)
        self._deadlines: dict[int, tuple[float, Deadline]] = {}  # participant -> (when, deadline)
        self._lock = threading.Lock()

    def connect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        with self._lock:
            self._connections[participant_id].add(connection_id)
            self._deadlines.pop(participant_id, None)
            return len(self._connections[participant_id]) == 1

    def disconnect(self, participant_id: int, support_session_id: int, connection_id: str) -> bool:
        with self._lock:
            connections = self._connections[participant_id]
            connections.discard(connection_id)
            if connections:
                return False
            del self._connections[participant_id]
            self._deadlines[participant_id] = self._page_grace(participant_id, support_session_id)
        self._ensure_reaper()
        return True

    def expect(
        self, participant_id: int, support_session_id: int, within: float | None = None
    ) -> None:
        with self._lock:
            if not self._connections.get(participant_id):
                self._deadlines.setdefault(
                    participant_id, self._page_grace(participant_id, support_session_id, within)
                )
        self._ensure_reaper()

    def hold(self, participant_id: int, support_session_id: int, since: float) -> None:
        with self._lock:
            if not self._connections.get(participant_id):
                self._deadlines[participant_id] = (
                    since + self.hold_seconds,
                    Deadline(participant_id, support_session_id, since, held=True),
                )
        self._ensure_reaper()

    def _page_grace(
        self, participant_id: int, support_session_id: int, within: float | None = None
    ) -> tuple[float, Deadline]:
        now = time.time()
        seconds = self.grace_seconds if within is None else within
        return now + seconds, Deadline(participant_id, support_session_id, now)

    def connected_among(self, participant_ids: list[int]) -> set[int]:
        with self._lock:
            return {pid for pid in participant_ids if self._connections.get(pid)}

    def _take_due(self, now: float) -> list[Deadline]:
        with self._lock:
            due = [deadline for when, deadline in self._deadlines.values() if when <= now]
            for deadline in due:
                del self._deadlines[deadline.participant_id]
        return due
