"""#18: pages that connect together are not pinged together for good; a
thousand pings in one moment every 20 s delayed the chat lines around them."""

from types import SimpleNamespace

from tests.helpers import opened_websocket
from webapp.live.limits import GuardedSocket, SocketLimits


def test_sockets_that_connect_together_ping_at_paces_of_their_own(app):
    set_interval = app.config["SOCK_SERVER_OPTIONS"]["ping_interval"]
    sockets = [
        SimpleNamespace(sock=None, ws=opened_websocket()[0], ping_interval=set_interval)
        for _ in range(50)
    ]
    for ws in sockets:
        GuardedSocket(ws, SocketLimits(app), "seat")
    paces = [ws.ping_interval for ws in sockets]
    # Never later than set, so a dead peer is found as soon as before.
    assert all(0.75 * set_interval <= pace <= set_interval for pace in paces)
    assert max(paces) - min(paces) > set_interval / 10  # spread, not together


def test_a_socket_without_pings_gets_none(app):
    ws = SimpleNamespace(sock=None, ws=opened_websocket()[0], ping_interval=None)
    GuardedSocket(ws, SocketLimits(app), "seat")
    assert ws.ping_interval is None
