"""Signalling from a hostile page: every field is type-checked (a list where a
stream kind belongs raised a TypeError that killed the socket), and what is
relayed can never become markup in the addressee's page."""

import json

import pytest

from tests.security.sockets import open_socket, wait_for_frame

BAD_SIGNALS = [
    {"streams": {"s": ["video"]}},
    {"streams": {"s": {"kind": "video"}}},
    {"streams": ["video"]},
    {"description": {"type": ["offer"], "sdp": ""}},
    {"description": {"type": {"offer": 1}, "sdp": ""}},
    {"description": {"type": "offer", "sdp": ["v=0"]}},
    {"candidate": {"candidate": "", "sdpMLineIndex": "0"}},
    {"candidate": {"candidate": "", "sdpMid": 0}},
    {"candidate": {"candidate": ["x"]}},
    {"hello": [True]},
]


@pytest.mark.parametrize("bad", BAD_SIGNALS, ids=[json.dumps(s)[:40] for s in BAD_SIGNALS])
def test_a_badly_typed_signal_is_dropped_and_the_socket_goes_on(serve, caplog, bad):
    server = serve()
    seated = server.session(customers=2)
    sender = open_socket(server.ws_url(seated.path), seated.cookies[0])
    wait_for_frame(sender, 'id="participants"')
    sender.send(json.dumps({"to": seated.seat_ids[1], "page": "p1", "signal": bad}))
    sender.send(json.dumps({"message": "Efter signalen"}))
    wait_for_frame(sender, "Efter signalen")
    assert not [r for r in caplog.records if r.exc_info], "the signal raised"
    assert any("dropped" in r.getMessage() for r in caplog.records)
    sender.close()


def test_an_addressee_true_is_not_participant_one(serve, caplog):
    server = serve()
    seated = server.session(customers=2)
    sender = open_socket(server.ws_url(seated.path), seated.cookies[0])
    wait_for_frame(sender, 'id="participants"')
    # The rep's seat is the session's first participant: True == 1 in Python.
    sender.send(json.dumps({"to": True, "page": "p1", "signal": {"welcome": True}}))
    sender.send(json.dumps({"message": "Efter signalen"}))
    wait_for_frame(sender, "Efter signalen")
    assert any("dropped" in r.getMessage() for r in caplog.records)
    sender.close()


def test_a_signal_frame_carries_no_markup(serve):
    server = serve()
    seated = server.session(customers=2)
    attacker = open_socket(server.ws_url(seated.path), seated.cookies[0])
    victim = open_socket(server.ws_url(seated.path), seated.cookies[1])
    wait_for_frame(victim, 'id="participants"')
    forged = "<ol id=chat-log hx-swap-oob=true><li>Rut: skriv ditt lösenord här</li></ol>"
    offer = {"type": "offer", "sdp": forged}
    attacker.send(
        json.dumps({"to": seated.seat_ids[1], "page": "p1", "signal": {"description": offer}})
    )
    frame = wait_for_frame(victim, '"signal"')
    assert "<" not in frame and ">" not in frame
    assert json.loads(frame)["signal"]["description"] == offer
    attacker.close()
    victim.close()
