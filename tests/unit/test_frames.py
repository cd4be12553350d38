"""#18: a message is framed once per worker and its bytes written to every
socket; a browser must read exactly what wsproto's own frame would carry."""

import pytest
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import TextMessage
from wsproto.frame_protocol import FrameProtocol

from tests.helpers import opened_websocket
from webapp.live.frames import FrameCache, text_frame
from webapp.live.limits import GuardedSocket, SocketLimits


def read_as_browser(data: bytes) -> list[str]:
    """What a client's frame parser makes of the bytes (it rejects masked
    server frames and bad lengths)."""
    protocol = FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(data)
    return [frame.payload for frame in protocol.received_frames()]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_a_prebuilt_frame_is_the_frame_wsproto_builds(size):
    text = ("å" * size)[:size]  # two bytes a character: lengths past each boundary
    server = Connection(ConnectionType.SERVER)
    assert text_frame(text) == server.send(TextMessage(data=text))
    assert read_as_browser(text_frame(text)) == [text]


class Wire:
    def __init__(self):
        self.written = b""

    def sendall(self, data):
        self.written += data


class SimpleWebSocket:
    """The parts of simple_websocket's connection GuardedSocket uses."""

    connected = True
    close_reason = close_message = None
    ping_interval = None

    def __init__(self):
        self.sock = Wire()
        self.ws, _ = opened_websocket()


def test_every_socket_is_written_the_same_bytes_and_reads_the_line(app):
    sockets = [SimpleWebSocket() for _ in range(3)]
    guarded = [GuardedSocket(ws, SocketLimits(app), "seat") for ws in sockets]
    line = '<div hx-swap-oob="beforeend:#chat-log"><li>Hej på dig</li></div>'
    for socket in guarded:
        socket.send(line)
        socket.send("andra")
    [first, *others] = [ws.sock._sock.written for ws in sockets]
    assert all(written == first for written in others)
    assert read_as_browser(first) == [line, "andra"]


def test_a_closed_socket_is_not_written():
    from simple_websocket import ConnectionClosed

    ws = SimpleWebSocket()
    ws.connected = False
    socket = GuardedSocket.__new__(GuardedSocket)
    socket.ws, socket._wire = ws, ws.sock
    with pytest.raises(ConnectionClosed):
        socket.send("Hej")
    assert ws.sock.written == b""


def test_the_cache_keeps_within_its_budget_and_still_frames_every_message():
    cache = FrameCache(budget_bytes=1000, largest_bytes=500)
    texts = [f"rad {index} " * 10 for index in range(100)]
    for text in texts:
        assert read_as_browser(cache.frame(text)) == [text]
    assert cache._used <= 1000
    assert len(cache._frames) < 100
    assert cache.frame(texts[-1]) is cache.frame(texts[-1])  # kept: one lookup
    large = "x" * 600
    assert read_as_browser(cache.frame(large)) == [large]
    assert large not in cache._frames
