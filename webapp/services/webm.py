"""The duration of a WebM file that is still being written (#14 item 4).

A browser's MediaRecorder writes a live WebM: its Segment Info has no
Duration, so a player shows no length and cannot seek until it has read the
whole file. The recorder uploads its chunks as it records, and a tab may close
at any time, so the duration must be right after every chunk, not only at a
clean stop.

The first chunk gets a Duration element in place of its WritingApp element,
padded with a Void element to exactly the same length. Nothing after it
moves, so the client's byte offsets stay the file's offsets, and each later
chunk rewrites the four bytes of the duration where they are.
"""

import struct
from pathlib import Path

_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_DURATION = 0x4489
_WRITING_APP = 0x5741
_VOID = 0xEC
_TIMECODE_SCALE = 0x2AD7B1
_DEFAULT_SCALE_NS = 1_000_000
HEAD_BYTES = 4096  # the EBML header and Segment Info come first, and are small
_UNKNOWN = object()


def _vint(data: bytes, at: int) -> tuple[int, int]:
    """An EBML variable-length integer: (its length in bytes, its value with
    the length marker removed)."""
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or at + length > len(data):
        raise ValueError("not an EBML size")
    value = first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = value << 8 | byte
    return length, value


def _element(data: bytes, at: int):
    """(id, payload start, payload size or _UNKNOWN) of the element at `at`."""
    id_length, _ = _vint(data, at)
    element_id = int.from_bytes(data[at : at + id_length], "big")
    size_length, size = _vint(data, at + id_length)
    if size == (1 << (7 * size_length)) - 1:
        size = _UNKNOWN  # all ones: a live stream's "until the end"
    return element_id, at + id_length + size_length, size


def _info(head: bytes) -> tuple[int, int]:
    """Start and end of the Segment Info payload."""
    element_id, start, size = _element(head, 0)
    if element_id != _EBML or size is _UNKNOWN:
        raise ValueError("not a WebM file")
    element_id, at, _ = _element(head, start + size)
    if element_id != _SEGMENT:
        raise ValueError("no Segment")
    while at < len(head):
        element_id, start, size = _element(head, at)
        if size is _UNKNOWN:
            raise ValueError("a Segment child of unknown size before Info")
        if element_id == _INFO:
            if start + size > len(head):
                raise ValueError("Info is cut short")
            return start, start + size
        at = start + size
    raise ValueError("no Info")


def _children(head: bytes, start: int, end: int):
    at = start
    while at < end:
        element_id, payload, size = _element(head, at)
        if size is _UNKNOWN or payload + size > end:
            raise ValueError("a broken Info")
        yield element_id, at, payload, size
        at = payload + size


def make_room_for_duration(head: bytes) -> bytes:
    """The first chunk with a Duration of 0 in its Info, of the same length.
    Raises ValueError when the chunk is no WebM this can change."""
    info_start, info_end = _info(head)
    children = list(_children(head, info_start, info_end))
    if any(element_id == _DURATION for element_id, *_ in children):
        return head
    for element_id, at, payload, size in children:
        if element_id != _WRITING_APP:
            continue
        room = payload + size - at
        duration = bytes([0x44, 0x89, 0x84]) + struct.pack(">f", 0.0)
        padding = room - len(duration)
        if padding == 0:
            replacement = duration
        elif 2 <= padding <= 128:
            replacement = duration + bytes([_VOID, 0x80 | (padding - 2)]) + bytes(padding - 2)
        else:
            break
        return head[:at] + replacement + head[payload + size :]
    raise ValueError("no room for a Duration in Info")


def write_duration(path: Path, milliseconds: float) -> bool:
    """Sets the Duration in place, in the Info's own time unit. False when
    the file has no Duration to set."""
    with path.open("r+b") as file:
        head = file.read(HEAD_BYTES)
        try:
            info_start, info_end = _info(head)
            children = list(_children(head, info_start, info_end))
        except (ValueError, IndexError):
            return False
        scale = _DEFAULT_SCALE_NS
        for element_id, _at, payload, size in children:
            if element_id == _TIMECODE_SCALE and 0 < size <= 8:
                scale = int.from_bytes(head[payload : payload + size], "big") or scale
        for element_id, _at, payload, size in children:
            if element_id == _DURATION and size in (4, 8):
                file.seek(payload)
                ticks = milliseconds * 1_000_000 / scale
                file.write(struct.pack(">f" if size == 4 else ">d", ticks))
                return True
    return False
