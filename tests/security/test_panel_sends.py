"""A page is sent the panels that moved, not all of them again (#18): when
someone's page opens or closes, the others in the session get the
participants panel alone. Anything else that changes the panels still
sends them all."""

from tests.helpers import presence_shown
from tests.security.sockets import frame_where, open_socket, wait_for_presence
from webapp.extensions import db
from webapp.models import SupportSession
from webapp.services import sessions

STATUS_PANEL = 'id="session-status"'
ACTIVITIES_PANEL = 'id="activities"'


def test_an_arrival_sends_the_others_only_who_is_connected(serve):
    server = serve()
    seated = server.session(customers=2)
    watcher = open_socket(server.ws_url(seated.path), seated.cookies[0])
    first = watcher.recv(timeout=10)
    assert STATUS_PANEL in first and ACTIVITIES_PANEL in first

    arriving = open_socket(server.ws_url(seated.path), seated.cookies[1])
    shown = wait_for_presence(watcher, seated.seat_ids[1], "online")
    assert STATUS_PANEL not in shown and ACTIVITIES_PANEL not in shown
    assert presence_shown(shown, seated.seat_ids[0]) == "online"  # the whole panel, not a row

    # A third customer joins by the session number: a change of the session,
    # not of presence, and every panel is sent again.
    with server.app.app_context():
        third, _ = sessions.join_as_customer(db.session.get(SupportSession, seated.id), "Tredje")
        third_id = third.id
        db.session.remove()
    moved = frame_where(watcher, lambda f: presence_shown(f, third_id) is not None, "with Tredje")
    assert STATUS_PANEL in moved and ACTIVITIES_PANEL in moved
    assert presence_shown(moved, seated.seat_ids[1]) == "online"

    arriving.close()
    gone = wait_for_presence(watcher, seated.seat_ids[1], "offline")
    assert STATUS_PANEL not in gone and ACTIVITIES_PANEL not in gone
    watcher.close()


def test_a_reconnected_page_gets_every_panel(serve):
    server = serve()
    seated = server.session(customers=2)
    url = server.ws_url(seated.path)
    watcher = open_socket(url, seated.cookies[0])
    watcher.recv(timeout=10)
    open_socket(url, seated.cookies[1]).recv(timeout=10)
    wait_for_presence(watcher, seated.seat_ids[1], "online")
    watcher.close()

    again = open_socket(url, seated.cookies[0])
    first = again.recv(timeout=10)
    assert STATUS_PANEL in first and ACTIVITIES_PANEL in first
    assert presence_shown(first, seated.seat_ids[1]) == "online"
    again.close()
