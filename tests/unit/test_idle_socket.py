"""What an idle socket keeps (live/idle_socket.py, #18). simple_websocket's
reader waits on its one socket: it must wake for data and for a closed
peer, and time out when nothing comes, or pings and closes go wrong. The
handshake wsproto kept is let go, and the socket still talks."""

import socket
from types import SimpleNamespace

import pytest
from wsproto.events import CloseConnection, Message, Ping, Pong, TextMessage

from tests.helpers import opened_websocket
from webapp.live.idle_socket import (
    OneSocketSelector,
    forget_handshake,
    readable_gevent,
    readable_threads,
)


@pytest.mark.parametrize("readable", [readable_threads, readable_gevent])
def test_it_wakes_for_data_and_for_a_closed_peer_and_times_out_otherwise(readable):
    ours, peer = socket.socketpair()
    with ours, peer:
        assert readable(ours.fileno(), 0.05) is False  # the ping is due
        peer.sendall(b"x")
        assert readable(ours.fileno(), 5) is True
        ours.recv(1)
        assert readable(ours.fileno(), 0.05) is False
        peer.close()  # a peer gone reads as readable: recv then returns b""
        assert readable(ours.fileno(), 5) is True
        assert ours.recv(1) == b""


def test_the_selector_answers_as_simple_websocket_reads_it():
    ours, peer = socket.socketpair()
    with ours, peer:
        selector = OneSocketSelector()
        selector.register(ours, 1, True)
        assert not selector.select(0.05)
        peer.sendall(b"x")
        assert selector.select(5)
        selector.close()


def test_the_app_hands_it_to_every_socket(app):
    assert app.config["SOCK_SERVER_OPTIONS"]["selector_class"] is OneSocketSelector


def test_an_open_socket_forgets_its_handshake_and_still_talks():
    server, client = opened_websocket()
    forget_handshake(SimpleNamespace(ws=server))
    assert server.handshake._h11_connection is None  # the request's headers with it
    client_says = client.send(TextMessage("hej")) + client.send(Ping(b"p"))
    server.receive_data(client_says)
    assert [type(event) for event in server.events()] == [TextMessage, Ping]
    client.receive_data(server.send(Message(data="svar")) + server.send(Pong(b"p")))
    heard = list(client.events())
    assert [type(event) for event in heard] == [TextMessage, Pong] and heard[0].data == "svar"
    server.receive_data(client.send(CloseConnection(code=1000)))
    [close] = server.events()
    assert isinstance(close, CloseConnection) and close.code == 1000


def test_a_socket_still_in_its_handshake_keeps_it():
    from wsproto import ConnectionType, WSConnection

    waiting = WSConnection(ConnectionType.SERVER)
    forget_handshake(SimpleNamespace(ws=waiting))
    assert waiting.handshake._h11_connection is not None
