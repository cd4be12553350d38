"""What a page sends is read by simple_websocket's own thread and handed to
the socket's queue (GuardedSocket.forward, #18): no reading thread of ours
per socket. Its lines still arrive, and its close is heard at once, not at
the next idle wake-up."""

import json
import time

from tests.security.sockets import open_socket, wait_for_frame, wait_for_presence
from webapp.live import connection as live_connection


def test_a_pages_lines_arrive_and_its_close_is_heard_at_once(serve, monkeypatch):
    # Without the close being handed on, the socket would notice it only here.
    monkeypatch.setattr(live_connection, "IDLE_WAKE_SECONDS", 60.0)
    server = serve()
    seated = server.session(customers=2)
    watcher = open_socket(server.ws_url(seated.path), seated.cookies[0])
    leaver = open_socket(server.ws_url(seated.path), seated.cookies[1])
    wait_for_presence(watcher, seated.seat_ids[1], "online", timeout=10)
    leaver.send(json.dumps({"message": "Hej då"}))
    wait_for_frame(watcher, "Hej då")
    time.sleep(1)  # past the panels the line's events asked for: the socket is idle
    closed_at = time.monotonic()
    leaver.close()  # waits for the server's side of the close too
    left = 5 - (time.monotonic() - closed_at)
    wait_for_presence(watcher, seated.seat_ids[1], "offline", timeout=left)
    watcher.close()
