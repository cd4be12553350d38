"""A seat cannot flood a worker: messages per socket go through a token
bucket, and a seat holds only so many sockets."""

import json
import time

from tests.security.sockets import frames_until_closed, open_socket, wait_for_frame

POLICY_VIOLATION = 1008


def test_a_socket_over_its_message_rate_is_closed_with_1008_and_a_log_line(serve, caplog):
    server = serve(LIVE_MESSAGE_RATE=5, LIVE_MESSAGE_BURST=20)
    seated = server.session(customers=1)
    flooder = open_socket(server.ws_url(seated.path), seated.cookies[0])
    wait_for_frame(flooder, 'id="participants"')
    for _ in range(200):  # microphone reports: the cheapest message to send
        try:
            flooder.send(json.dumps({"microphone": True}))
        except Exception:
            break
    _frames, code = frames_until_closed(flooder, timeout=5)
    assert code == POLICY_VIOLATION
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(f"seat {seated.seat_ids[0]}" in m and f"session {seated.id}" in m for m in warned)


def test_a_socket_within_its_rate_stays_open(serve):
    server = serve(LIVE_MESSAGE_RATE=20, LIVE_MESSAGE_BURST=5)
    seated = server.session(customers=1)
    writer = open_socket(server.ws_url(seated.path), seated.cookies[0])
    wait_for_frame(writer, 'id="participants"')
    for index in range(12):
        writer.send(json.dumps({"message": f"Rad {index}"}))
        time.sleep(0.1)
    wait_for_frame(writer, "Rad 11")
    writer.close()


def test_a_seat_holds_at_most_its_cap_of_sockets(serve):
    server = serve(LIVE_SOCKETS_PER_SEAT=3)
    seated = server.session(customers=1)
    url, cookie = server.ws_url(seated.path), seated.cookies[0]
    held = [open_socket(url, cookie) for _ in range(3)]
    for connection in held:
        wait_for_frame(connection, 'id="participants"')

    _frames, code = frames_until_closed(open_socket(url, cookie), timeout=5)
    assert code == POLICY_VIOLATION

    held.pop().close()
    deadline = time.monotonic() + 5
    while True:  # the server notices the close on its own time
        again = open_socket(url, cookie)
        frames, code = frames_until_closed(again, timeout=1)
        if code is None or time.monotonic() > deadline:
            break
    assert code is None and any('id="participants"' in frame for frame in frames)
    for connection in [*held, again]:
        connection.close()


def test_a_staff_members_own_socket_has_the_same_limits(serve, caplog):
    server = serve(LIVE_MESSAGE_RATE=5, LIVE_MESSAGE_BURST=20, LIVE_SOCKETS_PER_SEAT=2)
    seated = server.session(customers=1)
    url, cookie = server.ws_url("/live/me/tabs"), server.login_cookie(seated.rep_email)
    held = [open_socket(url, cookie) for _ in range(2)]
    for connection in held:
        wait_for_frame(connection, 'id="multi-tabs"')
    _frames, code = frames_until_closed(open_socket(url, cookie), timeout=5)
    assert code == POLICY_VIOLATION

    for _ in range(200):  # the page sends nothing; an attacker may
        try:
            held[0].send("{}")
        except Exception:
            break
    _frames, code = frames_until_closed(held[0], timeout=5)
    assert code == POLICY_VIOLATION
    held[1].close()
