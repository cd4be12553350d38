"""What each idle socket keeps, cut to what it needs: at a thousand pages
per worker every KiB of one is a MiB (#18).

simple_websocket's reading thread asks a selector to wait until its one
socket has something to read, or its next ping is due. It makes a
`selectors.DefaultSelector` per socket for that. Under gevent that is
gevent's selector, with its maps and watchers for the socket's whole life:
about 0.8 KiB of every idle socket more than waiting on the file descriptor
when asked. `select.select` would be smaller still, but it refuses file
descriptors past 1,023, which a worker of a thousand sockets passes.

wsproto keeps the HTTP handshake (an h11 connection and the request with
its headers) for the connection's life, though it never reads them again
once the socket is open: 2.7 KiB of each.
"""

import select
import selectors

from gevent import monkey
from gevent.socket import wait_read


def readable_gevent(fileno: int, timeout: float | None) -> bool:
    """Waits in the gevent hub, with a watcher only while waiting."""
    try:
        wait_read(fileno, timeout, timeout_exc=TimeoutError)
    except TimeoutError:
        return False
    return True


def readable_threads(fileno: int, timeout: float | None) -> bool:
    """Waits in this thread (the development server, the tests' servers)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(None if timeout is None else timeout * 1000))


class OneSocketSelector:
    """The part of the selectors API that simple_websocket calls: register
    one socket, select with a timeout, close."""

    def __init__(self) -> None:
        self._fileno = -1
        self._readable = readable_gevent if monkey.is_module_patched("socket") else readable_threads

    def register(self, fileobj, events: int, data=None) -> None:
        self._fileno = fileobj.fileno()

    def select(self, timeout: float | None = None) -> list:
        # Only whether it is empty is read.
        return [(None, selectors.EVENT_READ)] if self._readable(self._fileno, timeout) else []

    def close(self) -> None:
        self._fileno = -1


def forget_handshake(ws) -> None:
    """Lets go of wsproto's handshake state once the socket is open. wsproto
    reads it only while `connection` is None (`WSConnection.receive_data`,
    `send` and `state`); its queue of events stays, for the last ones."""
    protocol = ws.ws
    if protocol.connection is None:
        return
    handshake = protocol.handshake
    handshake._h11_connection = None
    handshake._initiating_request = None
