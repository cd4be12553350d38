"""Signalling (R7): only well-formed messages between present participants of
an open session pass; everything else is dropped."""

import pytest

from webapp.live import signals

PRESENT = {1: "controller", 2: "customer", 3: "customer"}
OFFER = {"description": {"type": "offer", "sdp": "v=0\r\n"}}


def test_a_well_formed_signal_is_relayed_to_its_addressee():
    message = signals.relayable({"to": 2, "signal": OFFER}, 1, PRESENT, True)
    assert message == {"kind": "signal", "from": 1, "to": 2, "signal": OFFER}
    assert signals.is_for(message, 2)
    assert not signals.is_for(message, 3) and not signals.is_for(message, 1)


def test_hello_goes_to_everyone_but_its_sender():
    message = signals.relayable({"to": "all", "signal": {"hello": True}}, 2, PRESENT, True)
    assert [viewer for viewer in PRESENT if signals.is_for(message, viewer)] == [1, 3]


@pytest.mark.parametrize(
    ("data", "sender", "is_open"),
    [
        ({"to": 2, "signal": OFFER}, 9, True),  # the sender is not in the session
        ({"to": 9, "signal": OFFER}, 1, True),  # nor is the addressee
        ({"to": 1, "signal": OFFER}, 1, True),  # to itself
        ({"to": "2", "signal": OFFER}, 1, True),
        ({"to": 2, "signal": OFFER}, 1, False),  # the session ended
        ({"to": 2, "signal": "offer"}, 1, True),
        ({"to": 2, "signal": {"description": {"type": "bogus", "sdp": ""}}}, 1, True),
        ({"to": 2, "signal": {"description": {"type": "offer", "sdp": 5}}}, 1, True),
        ({"to": 2, "signal": {"candidate": "x"}}, 1, True),
        ({"to": 2, "signal": {"streams": {"s1": "keylogger"}}}, 1, True),
        ({"to": 2, "signal": {**OFFER, "candidate": None}}, 1, True),
        ({"to": 2, "signal": {"hello": "yes"}}, 1, True),
        ({"to": 2, "signal": {"welcome": 1}}, 1, True),
        ({"to": 2, "signal": {"hello": True, "welcome": True}}, 1, True),
        ({"signal": OFFER}, 1, True),
    ],
)
def test_malformed_or_misaddressed_signals_are_dropped(data, sender, is_open):
    assert signals.relayable(data, sender, PRESENT, is_open) is None
