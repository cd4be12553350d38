"""A page that does not keep up is closed, never buffered for: each socket's
queue is bounded, and a send that blocks past the deadline closes it
(#13 item 2; reproduced: a socket that never read held 180 MB of signals)."""

import json
import time

from tests.security.sockets import (
    drained_until_closed,
    frames_until_closed,
    open_socket,
    raw_socket,
    wait_for_frame,
)

TRY_AGAIN_LATER = 1013
SDP = "a=x" + "y" * 40_000


def offers_to(sender, seat_id: int, count: int) -> None:
    for index in range(count):
        offer = {"type": "offer", "sdp": f"{index} {SDP}"}
        sender.send(json.dumps({"to": seat_id, "page": "p1", "signal": {"description": offer}}))


def test_a_socket_that_never_reads_is_closed_once_a_send_blocks(serve):
    server = serve(LIVE_SEND_TIMEOUT_SECONDS=1.0, LIVE_MESSAGE_RATE=1000, LIVE_MESSAGE_BURST=1000)
    seated = server.session(customers=2)
    stalled = raw_socket(server.port, seated.path, seated.cookies[0], receive_buffer=4096)
    sender = open_socket(server.ws_url(seated.path), seated.cookies[1])
    wait_for_frame(sender, 'id="participants"')
    bus = server.app.extensions["live"].bus
    subscribed = bus.subscriber_count()

    offers_to(sender, seated.seat_ids[0], 200)  # 8 MB: more than any kernel buffer holds
    deadline = time.monotonic() + 10
    while bus.subscriber_count() == subscribed and time.monotonic() < deadline:
        time.sleep(0.2)

    assert bus.subscriber_count() == subscribed - 1, "the stalled socket is still served"
    assert drained_until_closed(stalled, seconds=10)
    sender.close()


def test_a_page_that_falls_behind_is_closed_with_1013_so_it_reconnects(serve, monkeypatch):
    from webapp.live import signals

    server = serve(LIVE_QUEUE_MESSAGES=16, LIVE_MESSAGE_RATE=1000, LIVE_MESSAGE_BURST=1000)
    seated = server.session(customers=2)
    slow = open_socket(server.ws_url(seated.path), seated.cookies[0])
    sender = open_socket(server.ws_url(seated.path), seated.cookies[1])
    wait_for_frame(slow, 'id="participants"')
    delivered = signals.delivered

    def slowly(message):  # a page whose socket drains slower than events come
        time.sleep(0.05)
        return delivered(message)

    monkeypatch.setattr(signals, "delivered", slowly)
    small = {"description": {"type": "offer", "sdp": "v=0"}}
    for _ in range(100):
        sender.send(json.dumps({"to": seated.seat_ids[0], "page": "p1", "signal": small}))

    frames, code = frames_until_closed(slow, timeout=10)
    assert code == TRY_AGAIN_LATER
    assert len(frames) < 100
    sender.close()
