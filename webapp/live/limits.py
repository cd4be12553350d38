"""What keeps one page, or one attacker holding a seat, from exhausting a
worker through the live sockets (#13 item 2, docs/security.md "The live
socket"). The maximum message size is simple_websocket's own, set from
LIVE_MAX_MESSAGE_BYTES in `init_app`; the rest is here:

- a token bucket per socket for what the page sends;
- a cap on the sockets one seat (or one staff member) holds in a process;
- a deadline on every send: a page that does not read is cut off, since
  a blocked send would hold its writer, and its queue, for good;
- whole frames: simple_websocket writes a frame with one `socket.send()`,
  which under gevent may write part of it and return, and the rest is lost.
"""

import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from contextlib import contextmanager, suppress

from flask import Flask
from simple_websocket import ConnectionClosed

from webapp.live.frames import FRAMES
from webapp.live.idle_socket import forget_handshake

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013  # htmx's ws extension reconnects on it, and on 1006 and 1011


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._tokens, self._at = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class SocketLimits:
    """The limits of one app, and the state they share between its sockets."""

    def __init__(self, app: Flask):
        config = app.config
        self.message_rate = float(config["LIVE_MESSAGE_RATE"])
        self.message_burst = float(config["LIVE_MESSAGE_BURST"])
        self.queue_messages = int(config["LIVE_QUEUE_MESSAGES"])
        self.sockets_per_seat = int(config["LIVE_SOCKETS_PER_SEAT"])
        self.send_timeout = float(config["LIVE_SEND_TIMEOUT_SECONDS"])
        self._open: Counter[Hashable] = Counter()
        self._lock = threading.Lock()

    def claim(self, holder: Hashable) -> bool:
        """A socket for `holder` (a seat, a user), unless it holds its cap."""
        with self._lock:
            if self._open[holder] >= self.sockets_per_seat:
                return False
            self._open[holder] += 1
            return True

    def release(self, holder: Hashable) -> None:
        with self._lock:
            self._open[holder] -= 1
            if self._open[holder] <= 0:
                del self._open[holder]

    def guard(self, ws, label: str) -> "GuardedSocket":
        return GuardedSocket(ws, self, label)


class WholeFrames:
    """Stands in for the socket under a simple_websocket connection: every
    write goes out whole, one at a time (its ping thread writes too)."""

    def __init__(self, sock):
        self._sock = sock
        self._write_lock = threading.Lock()

    def send(self, data) -> int:
        with self._write_lock:
            self._sock.sendall(data)
        return len(data)

    def cut(self) -> None:
        """Unblocks a send stuck on a peer that does not read."""
        with suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class GuardedSocket:
    """The simple_websocket connection of one page, as its handler uses it:
    receive() spends a token per message, send() has a deadline, and a peer
    gone mid-send reads as ConnectionClosed, as everywhere else."""

    def __init__(self, ws, limits: SocketLimits, label: str):
        self.ws = ws
        self.label = label  # "seat 3 of session 2": says in the log whose socket
        self._limits = limits
        self._bucket = TokenBucket(limits.message_rate, limits.message_burst)
        self._wire = WholeFrames(ws.sock)
        ws.sock = self._wire
        forget_handshake(ws)
        # Pages that connected together (a connect storm, a restart) were
        # pinged together for good: a thousand pings and pongs in the same
        # moment every 20 s were the slowest chat lines of a bench run
        # (#18). Each socket pings at a pace of its own, at most the set one.
        if ws.ping_interval:
            ws.ping_interval *= random.uniform(0.75, 1.0)
        self._forwarding: tuple[Callable[[str], None], Callable[[], None]] | None = None
        self._forward_lock = threading.Lock()
        self._flooded = False

    @property
    def connected(self) -> bool:
        return self.ws.connected

    def send(self, data: str) -> None:
        """Sends a text message as a frame built once per worker (frames.py):
        the same chat line or panels go to many sockets, and wsproto would
        frame it in pure Python for each. Server frames are not masked, and
        permessage-deflate lets any message go uncompressed, so the same
        bytes suit every socket."""
        if not self.ws.connected:
            raise ConnectionClosed(self.ws.close_reason, self.ws.close_message)
        frame = FRAMES.frame(data)
        try:
            with WATCHDOG.watching(self, self._limits.send_timeout):
                self._wire.send(frame)
        except OSError as error:
            self.ws.connected = False
            raise ConnectionClosed() from error

    def receive(self, timeout: float | None = None):
        data = self.ws.receive(timeout=timeout)
        if data is not None and not self._within_rate():
            raise ConnectionClosed(POLICY_VIOLATION)
        return data

    def forward(self, on_message: Callable[[str], None], on_wake: Callable[[], None]) -> None:
        """From now on simple_websocket's own reading thread hands each
        message the page sends to `on_message`, and calls `on_wake` when it
        wakes its reader for anything else: a close, an error, a message too
        big. A reading thread of ours beside it was about 10 KiB of every
        idle socket (#18). receive() then sees only the close."""
        self._forwarding = (on_message, on_wake)
        self.ws.event = _ForwardingEvent(self.ws.event, self._forward)
        self._forward(woken=False)  # what arrived before, or a close

    def _forward(self, woken: bool = True) -> None:
        """Hands on what the page sent, even after a close (a line sent just
        before it is still stored). simple_websocket wakes its reader for a
        message or for the end, so a wake that found none is the end."""
        on_message, on_wake = self._forwarding
        forwarded = False
        with self._forward_lock:
            try:
                while self.ws.input_buffer and not self._flooded:
                    data = self.ws.input_buffer.pop(0)
                    if not self._within_rate():
                        break  # and nothing more is taken from this page
                    on_message(data)
                    forwarded = True
            except Exception:
                log.exception("%s: reading failed", self.label)
                self.close(INTERNAL_ERROR, "internal error")
        if (woken and not forwarded) or not self.ws.connected:
            on_wake()

    def _within_rate(self) -> bool:
        if self._bucket.take():
            return True
        log.warning(
            "%s sent more than %g messages a second (burst %g); closing it",
            self.label,
            self._limits.message_rate,
            self._limits.message_burst,
        )
        self._flooded = True
        self.close(POLICY_VIOLATION, "too many messages")
        return False

    def close(self, reason: int, message: str) -> None:
        """Closes if still open; a close that cannot be written cuts the line."""
        try:
            with WATCHDOG.watching(self, self._limits.send_timeout):
                self.ws.close(reason=reason, message=message)
        except (ConnectionClosed, OSError):
            self.cut()

    def cut(self) -> None:
        self.ws.connected = False
        self._wire.cut()


class _ForwardingEvent:
    """simple_websocket's event, which its reading thread sets after each
    message and on a close: setting it first hands on what arrived."""

    def __init__(self, event, forward: Callable[..., None]):
        self._event = event
        self._forward = forward

    def set(self) -> None:
        self._forward()
        self._event.set()

    def __getattr__(self, name):
        return getattr(self._event, name)


class SendWatchdog:
    """One thread per process, while anything is sending, cuts the sockets
    whose send has blocked past its deadline; a timer per send would cost a
    thread per message."""

    TICK_SECONDS = 0.25

    def __init__(self) -> None:
        self._deadlines: dict[GuardedSocket, float] = {}
        self._lock = threading.Lock()
        self._running = False

    @contextmanager
    def watching(self, guarded: GuardedSocket, timeout: float):
        with self._lock:
            self._deadlines[guarded] = time.monotonic() + timeout
            if not self._running:
                self._running = True
                threading.Thread(target=self._watch, name="live-send-watchdog", daemon=True).start()
        try:
            yield
        finally:
            with self._lock:
                self._deadlines.pop(guarded, None)

    def _watch(self) -> None:
        while True:
            time.sleep(self.TICK_SECONDS)
            now = time.monotonic()
            with self._lock:
                if not self._deadlines:
                    self._running = False
                    return
                late = [guarded for guarded, due in self._deadlines.items() if due <= now]
                for guarded in late:
                    del self._deadlines[guarded]
            for guarded in late:
                log.warning("%s has not read for a while; closing it", guarded.label)
                guarded.cut()


WATCHDOG = SendWatchdog()
