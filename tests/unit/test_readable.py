"""simple_websocket's reader waits on its one socket through
live/readable.py: it must wake for data and for a closed peer, and time out
when nothing comes, or pings and closes go wrong (#18)."""

import socket

import pytest

from webapp.live.readable import OneSocketSelector, readable_gevent, readable_threads


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
