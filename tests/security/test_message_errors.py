"""A message that fails is logged with its seat and session, and either
dropped or the socket closes with 1011: never an HTTP 500 written into the
upgraded socket, never a chat line lost without a word to its writer."""

import json

from tests.security.sockets import (
    frames_until_closed,
    open_socket,
    raw_socket,
    read_raw_frames,
    wait_for_frame,
)

INTERNAL_ERROR = 1011


def test_a_chat_line_that_cannot_be_stored_gets_an_error_and_the_socket_goes_on(serve, caplog):
    server = serve()
    seated = server.session(customers=2)
    writer = open_socket(server.ws_url(seated.path), seated.cookies[0])
    reader = open_socket(server.ws_url(seated.path), seated.cookies[1])
    wait_for_frame(writer, 'id="participants"')
    wait_for_frame(reader, 'id="participants"')

    # A lone surrogate is valid JSON and valid UTF-8 on the wire, and no
    # database can store it.
    writer.send('{"message": "Hej \\ud800"}')
    error = wait_for_frame(writer, 'id="chat-error"')
    assert "Meddelandet kunde inte skickas" in error

    writer.send(json.dumps({"message": "Andra raden"}))
    wait_for_frame(reader, "Andra raden")
    wait_for_frame(writer, "Andra raden")
    failures = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert failures, "the failure was not logged"
    logged = failures[0].getMessage()
    assert f"seat {seated.seat_ids[0]}" in logged and f"session {seated.id}" in logged
    writer.close()
    reader.close()


def test_a_failure_outside_one_message_closes_with_1011_not_an_http_500(serve, caplog):
    server = serve()
    seated = server.session(customers=1)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    server.app.extensions["live"].panels.snapshot = broken
    sock = raw_socket(server.port, seated.path, seated.cookies[0])
    stream, code = read_raw_frames(sock, timeout=5)
    sock.close()

    assert b"HTTP/1.1 500" not in stream
    assert code == INTERNAL_ERROR
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(f"session {seated.id}" in message for message in logged), logged


def test_a_failed_panel_render_after_connect_closes_with_1011(serve):
    server = serve()
    seated = server.session(customers=2)
    victim = open_socket(server.ws_url(seated.path), seated.cookies[0])
    wait_for_frame(victim, 'id="participants"')
    server.app.extensions["live"].panels.snapshot = lambda *a, **k: 1 / 0
    other = raw_socket(server.port, seated.path, seated.cookies[1])  # an arrival: panels again
    _frames, code = frames_until_closed(victim, timeout=5)
    other.close()
    assert code == INTERNAL_ERROR
