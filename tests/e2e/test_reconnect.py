"""#4 item 4: a page whose socket dropped while 20 things happened shows, once
it reconnects, exactly what a reload shows (panels are sent on connect, not
replayed)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.cluster import FailoverProxy
from tests.e2e.fixtures import free_port
from webapp.extensions import db
from webapp.models import SupportSession
from webapp.services import sessions
from webapp.services.users import create_user


@pytest.mark.e2e
def test_a_dropped_socket_converges_to_what_a_reload_shows(live_server, new_page):
    with live_server.app_context():
        rep = create_user("rut@example.com", "Rut Rep", "rep", "password123")
        rep.customer_cap = 50  # more guests than the site default lets one rep help
        support_session, _ = sessions.start_session(rep)
        support_session_id, number = support_session.id, support_session.number
        db.session.remove()
    proxy = FailoverProxy(free_port(), [int(live_server.base_url.rsplit(":", 1)[1])])
    try:
        kim = new_page()
        kim.goto(proxy.url + "/join/")
        kim.get_by_label("Sessionsnummer").fill(number)
        kim.get_by_label("Namn").fill("Kim")
        kim.get_by_role("button", name="Delta", exact=True).click()
        live = kim.locator("[data-connection]")
        expect(live).to_have_attribute("data-connection", "open")

        proxy.cut()
        expect(live).to_have_attribute("data-connection", "closed")
        with live_server.app_context():  # 20 events the page cannot hear
            session_row = db.session.get(SupportSession, support_session_id)
            joined = [sessions.join_as_customer(session_row, f"Guest {n}")[0] for n in range(12)]
            for guest in joined[:8]:
                sessions.leave(guest)
            db.session.remove()
        proxy.restore()

        expect(live).to_have_attribute("data-connection", "open", timeout=15000)
        expect(kim.locator("#participants li")).to_have_count(1 + 1 + 4)
        after_reconnect = kim.locator("#participants").inner_text()
        kim.reload()
        expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")
        assert kim.locator("#participants").inner_text() == after_reconnect
        assert "Guest 11" in after_reconnect and "Guest 0" not in after_reconnect
    finally:
        proxy.stop()
