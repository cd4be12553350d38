"""Signalling (R7): only well-formed messages between present participants of
an open session pass; everything else is dropped."""

import json

import pytest

from webapp.live import signals

PRESENT = {1: "controller", 2: "customer", 3: "customer"}
OFFER = {"description": {"type": "offer", "sdp": "v=0\r\n"}}


def signal(**fields) -> dict:
    return {"page": "p1", **fields}


def test_a_well_formed_signal_is_relayed_to_its_addressee():
    data = {"to": 2, "to_page": "b7", "page": "a1", "signal": OFFER}
    message = signals.relayable(data, 1, PRESENT, True)
    assert signals.delivered(message) == {
        "from": 1,
        "from_page": "a1",
        "to_page": "b7",
        "signal": OFFER,
    }
    assert signals.is_for(message, 2)
    assert not signals.is_for(message, 3) and not signals.is_for(message, 1)


def test_hello_goes_to_every_page_and_two_pages_of_one_participant_may_talk():
    hello = {"to": "all", "page": "a1", "signal": {"hello": True}}
    message = signals.relayable(hello, 2, PRESENT, True)
    # The sender's other tabs hear it too; its own page ignores its own hello.
    assert [viewer for viewer in PRESENT if signals.is_for(message, viewer)] == [1, 2, 3]
    other_tab = {"to": 2, "to_page": "c3", "page": "a1", "signal": {"welcome": True}}
    assert signals.relayable(other_tab, 2, PRESENT, True) is not None


@pytest.mark.parametrize(
    ("data", "sender", "is_open"),
    [
        (signal(to=2, signal=OFFER), 9, True),  # the sender is not in the session
        (signal(to=9, signal=OFFER), 1, True),  # nor is the addressee
        (signal(to=1, signal=OFFER), 1, True),  # to its own page
        (signal(to=1, to_page="p1", signal=OFFER), 1, True),
        (signal(to="2", signal=OFFER), 1, True),
        (signal(to=2, signal=OFFER), 1, False),  # the session ended
        (signal(to=2, signal="offer"), 1, True),
        (signal(to=2, signal={"description": {"type": "bogus", "sdp": ""}}), 1, True),
        (signal(to=2, signal={"description": {"type": "offer", "sdp": 5}}), 1, True),
        (signal(to=2, signal={"candidate": "x"}), 1, True),
        (signal(to=2, signal={"streams": {"s1": "keylogger"}}), 1, True),
        (signal(to=2, signal={**OFFER, "candidate": None}), 1, True),
        (signal(to=2, signal={"hello": "yes"}), 1, True),
        (signal(to=2, signal={"welcome": 1}), 1, True),
        (signal(to=2, signal={"hello": True, "welcome": True}), 1, True),
        (signal(signal=OFFER), 1, True),
        ({"to": 2, "signal": OFFER}, 1, True),  # no page of its own
        (signal(to=2, page="<script>", signal=OFFER), 1, True),
        (signal(to=2, to_page="x" * 40, signal=OFFER), 1, True),
        # Field by field (#13 item 2): each of these raised or passed before.
        (signal(to=True, signal={"welcome": True}), 2, True),
        (signal(to=2, signal={"streams": {"s1": ["video"]}}), 1, True),
        (signal(to=2, signal={"streams": {}}), 1, True),
        (signal(to=2, signal={"description": {"type": ["offer"], "sdp": ""}}), 1, True),
        (signal(to=2, signal={"candidate": {"candidate": "", "sdpMLineIndex": "0"}}), 1, True),
        (signal(to=2, signal={"candidate": {"candidate": "", "sdpMLineIndex": True}}), 1, True),
        (signal(to=2, signal={"candidate": {"candidate": "", "sdpMid": 0}}), 1, True),
        (signal(to=2, signal={"candidate": {"candidate": "", "usernameFragment": []}}), 1, True),
    ],
)
def test_malformed_or_misaddressed_signals_are_dropped(data, sender, is_open):
    assert signals.relayable(data, sender, PRESENT, is_open) is None


def test_a_relayed_signal_holds_only_the_fields_a_browser_sends():
    candidate = {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host", "sdpMid": "0",
                 "sdpMLineIndex": 0, "usernameFragment": "u", "extra": "<b>"}  # fmt: skip
    data = signal(to=2, signal={"candidate": candidate})
    relayed = signals.relayable(data, 1, PRESENT, True)["signal"]["candidate"]
    assert relayed == {key: candidate[key] for key in candidate if key != "extra"}


def test_a_frame_holds_no_markup_and_reads_back_the_same():
    message = {"signal": {"description": {"type": "offer", "sdp": "<b>&amp;</b>"}}}
    frame = signals.as_frame(message)
    assert not {"<", ">", "&"} & set(frame)
    assert json.loads(frame) == message


def point(sender: int, **fields) -> dict | None:
    data = {"to": "all", "page": "p1", "signal": {"point": fields}}
    present = {1: "staff", 2: "customer", 3: "customer_waiting", 5: "controller"}
    return signals.relayable(data, sender, present, True)


def test_only_the_controller_points_at_a_shared_screen():
    mark = {"key": "2:desktop_sharing", "x": 0.25, "y": 0.4}
    assert point(5, **mark)["signal"] == {"point": mark}
    stroke = {"key": "02:application_sharing", "path": [[0, 0], [0.5, 1]]}
    assert point(5, **stroke)["signal"]["point"] == {**stroke, "key": "2:application_sharing"}
    for someone_else in (1, 2, 3):  # an assistant, customers
        assert point(someone_else, **mark) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"key": "2:video", "x": 0.5, "y": 0.5},  # a camera is not pointed at
        {"key": "x:desktop_sharing", "x": 0.5, "y": 0.5},
        {"key": "2:desktop_sharing", "x": 1.5, "y": 0.5},
        {"key": "2:desktop_sharing", "x": True, "y": 0.5},
        {"key": "2:desktop_sharing", "x": "0.5", "y": 0.5},
        {"key": "2:desktop_sharing", "x": 0.5, "y": 0.5, "html": "<b>"},
        {"key": "2:desktop_sharing", "path": [[0.1, 0.1]]},
        {"key": "2:desktop_sharing", "path": [[0.1, 0.1, 0.1], [0, 0]]},
        {"key": "2:desktop_sharing", "path": [[0.1, 0.1]] * 65},
        {"key": "2:desktop_sharing", "path": "M0 0"},
    ],
)
def test_a_malformed_point_is_dropped(bad):
    assert point(5, **bad) is None
