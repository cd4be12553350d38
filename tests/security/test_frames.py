"""A frame is refused once it passes the websocket's maximum message size,
before the server has buffered it (#13 item 2; reproduced: one 200 MiB frame
took 210 MB of a worker)."""

import socket

from tests.security.sockets import frame_header, raw_socket, read_raw_frames

MESSAGE_TOO_BIG = 1009
MIB = 1024 * 1024


def stream_frame(sock, length: int) -> int:
    """Writes one text frame of `length` bytes without holding it in memory;
    returns how many payload bytes went out before the server hung up."""
    sock.sendall(frame_header(length))
    chunk, sent = b"a" * MIB, 0
    try:
        while sent < length:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def test_a_200_mib_frame_is_refused_with_1009_before_it_is_buffered(serve_gevent):
    server = serve_gevent()
    seated = server.session(customers=1)
    sock = raw_socket(server.port, seated.path, seated.cookies[0])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    with server.rss_growth() as growth:
        sent = stream_frame(sock, 200 * MIB)
        _stream, code = read_raw_frames(sock, timeout=5)
    sock.close()

    assert code == MESSAGE_TOO_BIG
    # What the worker had not read when it hung up sat in kernel buffers.
    assert sent < 40 * MIB
    assert growth() < 20 * MIB
