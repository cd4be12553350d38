"""#4: the same code as several gunicorn processes on one PostgreSQL and one
Redis. Sockets on one process hear events from another; a session outlives
the process that held its rep's socket."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.cluster import FailoverProxy
from tests.e2e.fixtures import GRACE, free_port
from tests.e2e.steps import join_by_number, log_in_and_start
from webapp.live.redis_presence import HEARTBEAT_TTL


@pytest.mark.e2e
def test_a_customer_on_another_process_shows_live_and_ending_reaches_it(two_processes, new_page):
    first, second = two_processes
    rep = new_page()
    number = log_in_and_start(rep, first.url)
    kim = new_page()
    join_by_number(kim, second.url, number, "Kim Kund")
    expect(rep.locator("#participants")).to_contain_text("Kim Kund")
    expect(kim.locator("#participants")).to_contain_text("Rut Rep")

    rep.get_by_role("tab", name="Session").click()
    rep.once("dialog", lambda confirm: confirm.accept())
    rep.get_by_role("button", name="Avsluta session").click()
    expect(rep).to_have_url(re.compile(r"/support/$"))
    expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_be_visible()


@pytest.mark.e2e
def test_the_session_outlives_the_process_holding_the_reps_socket(two_processes, new_page):
    first, second = two_processes
    proxy = FailoverProxy(free_port(), [first.port, second.port])
    try:
        rep = new_page()
        number = log_in_and_start(rep, proxy.url)  # the proxy sends it to the first
        kim = new_page()
        join_by_number(kim, second.url, number, "Kim Kund")
        expect(rep.locator("#participants")).to_contain_text("Kim Kund")

        rep.evaluate(
            "window.reopened = 0;document.addEventListener('htmx:wsOpen', () => window.reopened++)"
        )
        first.kill()
        # The page reconnects through the proxy to the second process, in time.
        rep.wait_for_function("() => window.reopened >= 1", timeout=GRACE * 1000)
        expect(rep.locator("[data-connection]")).to_have_attribute("data-connection", "open")
        rep.wait_for_timeout((GRACE + 2) * 1000)
        expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_have_count(0)
        expect(kim.locator("#participants .badge.control")).to_be_visible()
        # ... and it is still the live session: a new customer shows on the rep's page.
        sam = new_page()
        join_by_number(sam, second.url, number, "Sam Second")
        expect(rep.locator("#participants")).to_contain_text("Sam Second")
        # The surviving process now watches the rep: closing the page ends it,
        # once the dead process's socket has also stopped counting (heartbeat TTL).
        rep.close()
        expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_be_visible(
            timeout=(GRACE + HEARTBEAT_TTL + 5) * 1000
        )
    finally:
        proxy.stop()
