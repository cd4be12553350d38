"""Websocket frames built once per worker, not once per socket (#18).

A chat line is the same message for every socket of its session that speaks
the same language; wsproto would build its frame in pure Python for each of
them. A server's frames are not masked (RFC 6455 §5.1), so one frame's bytes
can be written to every socket as they are.
"""

import struct
import threading

_FIN_TEXT = 0x81  # FIN bit and the text opcode: a whole message in one frame


def text_frame(text: str) -> bytes:
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((_FIN_TEXT, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, size)
    return header + payload


class FrameCache:
    """The frames of the messages sent lately, by text, within a byte budget.

    A chat line is one str object shared by the sockets that send it
    (rendered once per language), and a str caches its hash, so finding its
    frame again costs one dict lookup; a viewer's panels are joined for each
    send (snapshots.py) and found by one hash of their text.
    A message only one socket sends costs an insert and is soon dropped.
    Large messages (a page's first panels with its chat history) are seldom
    the same for two sockets, and kept they would cost idle memory, so they
    are framed without keeping."""

    def __init__(self, budget_bytes: int = 1 << 20, largest_bytes: int = 8 << 10):
        self._budget = budget_bytes
        self._largest = largest_bytes
        self._used = 0
        self._frames: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def frame(self, text: str) -> bytes:
        frame = self._frames.get(text)
        if frame is not None:
            return frame
        frame = text_frame(text)
        if len(frame) > self._largest:
            return frame
        with self._lock:
            if text not in self._frames:
                self._frames[text] = frame
                self._used += len(frame)
                while self._used > self._budget:  # the oldest first
                    self._used -= len(self._frames.pop(next(iter(self._frames))))
        return frame


FRAMES = FrameCache()
