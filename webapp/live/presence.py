"""Who has a live socket, and the grace period before an absent controller
ends the session (R1.5).

A reload closes the old socket and opens a new one within a second or two;
closing the tab or navigating away leaves nothing. So a session ends only when
its controller has had no socket for PRESENCE_GRACE_SECONDS.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)


class LocalPresence:
    def __init__(self, grace_seconds: float, on_expired: Callable[[int, int], None]):
        self.grace_seconds = grace_seconds
        self._on_expired = on_expired
        self._connections: Counter[int] = Counter()
        self._deadlines: dict[int, tuple[float, int]] = {}  # participant -> (when, session)
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._stopping = threading.Event()

    def connect(self, participant_id: int, support_session_id: int) -> bool:
        """Returns True when this is the participant's first socket (came online)."""
        with self._lock:
            self._connections[participant_id] += 1
            self._deadlines.pop(participant_id, None)
            return self._connections[participant_id] == 1

    def disconnect(self, participant_id: int, support_session_id: int) -> bool:
        """Returns True when the participant has no socket left (went offline)."""
        with self._lock:
            self._connections[participant_id] -= 1
            if self._connections[participant_id] > 0:
                return False
            del self._connections[participant_id]
            self._deadlines[participant_id] = (
                time.monotonic() + self.grace_seconds,
                support_session_id,
            )
        self._ensure_reaper()
        return True

    def expect(self, participant_id: int, support_session_id: int) -> None:
        """A page was served: if its socket never arrives, treat it as gone."""
        with self._lock:
            if self._connections[participant_id] == 0:
                self._deadlines.setdefault(
                    participant_id,
                    (time.monotonic() + self.grace_seconds, support_session_id),
                )
        self._ensure_reaper()

    def is_connected(self, participant_id: int) -> bool:
        with self._lock:
            return self._connections[participant_id] > 0

    def connected_among(self, participant_ids: list[int]) -> set[int]:
        with self._lock:
            return {pid for pid in participant_ids if self._connections[pid] > 0}

    def stop(self) -> None:
        self._stopping.set()

    def _ensure_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            self._reaper = threading.Thread(target=self._reap, name="presence-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        while not self._stopping.wait(min(0.5, self.grace_seconds / 4)):
            now = time.monotonic()
            with self._lock:
                expired = [
                    (participant_id, support_session_id)
                    for participant_id, (
                        when,
                        support_session_id,
                    ) in self._deadlines.items()
                    if when <= now
                ]
                for participant_id, _ in expired:
                    del self._deadlines[participant_id]
            for participant_id, support_session_id in expired:
                try:
                    self._on_expired(support_session_id, participant_id)
                except Exception:  # the reaper must outlive one bad session
                    log.exception("ending session %s failed", support_session_id)
