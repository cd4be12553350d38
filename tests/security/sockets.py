"""Clients for the attacks: the websockets library where a well-behaved
client will do, a raw TCP socket where the attack is in the framing or in
never reading."""

import base64
import os
import socket
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.helpers import presence_shown


def open_socket(url: str, cookie: str, **options) -> ClientConnection:
    return connect(
        url,
        additional_headers={"Cookie": cookie},
        proxy=None,
        compression=None,
        open_timeout=10,
        max_size=None,
        legacy=True,  # a plain connection, closed by the test
        **options,
    )


def frames_until_closed(
    connection: ClientConnection, timeout: float
) -> tuple[list[str], int | None]:
    """Everything the server sends until it closes; and the close code, None
    if the socket was still open after `timeout` seconds."""
    frames = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            # The development server writes an HTTP response after the close
            # frame, and the client may then wait for its own close timeout.
            if connection.protocol.close_rcvd is not None:
                return frames, connection.protocol.close_rcvd.code
            try:
                frames.append(connection.recv(timeout=0.2))
            except TimeoutError:
                continue
        return frames, None
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else 1006


def frame_where(connection: ClientConnection, test, what: str, timeout: float = 10) -> str:
    """The first frame for which `test` holds, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = connection.recv(timeout=left)
        except TimeoutError:
            break
        if test(frame):
            return frame
    raise AssertionError(f"no frame {what} within {timeout} s")


def wait_for_frame(connection: ClientConnection, text: str, timeout: float = 10) -> str:
    return frame_where(connection, lambda frame: text in frame, f"with {text!r}", timeout)


def wait_for_presence(
    connection: ClientConnection, seat_id: int, state: str, timeout: float = 10
) -> str:
    """The first frame whose participants panel shows the seat "online" or "offline"."""
    return frame_where(
        connection,
        lambda frame: presence_shown(frame, seat_id) == state,
        f"showing seat {seat_id} {state}",
        timeout,
    )


def raw_socket(port: int, path: str, cookie: str, receive_buffer: int | None = None):
    """A socket past the websocket handshake, read byte by byte so that no
    frame is taken off the wire; a small receive buffer makes a client that
    never reads stall the server within kilobytes."""
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    response = b""
    while not response.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        assert byte, f"the server hung up during the handshake: {response!r}"
        response += byte
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def frame_header(length: int, opcode: int = 0x1) -> bytes:
    """A final client frame of `length` bytes, masked with a zero key so the
    payload goes on the wire as it is."""
    return bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big") + bytes(4)


def read_raw_frames(sock, timeout: float) -> tuple[bytes, int | None]:
    """All bytes until the server closes or `timeout` passes, and the code of
    the server's close frame if one came."""
    sock.settimeout(1)
    received = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return bytes(received), close_code_in(bytes(received))


def close_code_in(stream: bytes) -> int | None:
    """The status code of the close frame in a stream of server frames."""
    position = 0
    while position + 2 <= len(stream):
        opcode, length = stream[position] & 0x0F, stream[position + 1] & 0x7F
        position += 2
        if length == 126:
            length = int.from_bytes(stream[position : position + 2], "big")
            position += 2
        elif length == 127:
            length = int.from_bytes(stream[position : position + 8], "big")
            position += 8
        if opcode == 0x8:
            return int.from_bytes(stream[position : position + 2], "big")
        position += length
    return None


def drained_until_closed(sock, seconds: float) -> bool:
    """Reads what the server sent; whether it hung up within `seconds`."""
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False
