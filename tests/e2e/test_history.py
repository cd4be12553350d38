"""Sessionshistorik in the browser (#16 item 1): a search answers in place,
the URL keeps it, and a session's page tells its story in both languages."""

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import chat_of, join_by_number, log_in_and_start, make_rut, say


@pytest.mark.e2e
def test_a_rep_finds_a_session_and_reads_its_story(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page(width=1366, height=900)
    number = log_in_and_start(rep, base)
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, number, "Kim Kund")
    say(kim, "Skrivaren blinkar rött.")
    expect(chat_of(rep)).to_contain_text("blinkar rött")

    history = new_page(width=1366, height=900)
    history.context.add_cookies(rep.context.cookies())
    history.goto(base + "/history/")
    expect(history.get_by_role("heading", name="Sessionshistorik")).to_be_visible()
    history.get_by_label("Kundens namn eller e-post").fill("kim")
    history.get_by_role("button", name="Sök").click()
    expect(history).to_have_url(f"{base}/history/?number=&customer=kim&staff=&from=&to=&queue=")
    link = history.get_by_role("link", name=number[:3])
    expect(link).to_be_visible()
    history.get_by_label("Kundens namn eller e-post").fill("nobody")
    history.get_by_role("button", name="Sök").click()
    expect(history.locator("#history-results")).to_contain_text("Inga sessioner matchar")
    history.go_back()
    expect(history.locator("#history-results")).to_contain_text(number[:3])

    history.locator("#search-from").fill("2026-12-31")
    history.locator("#search-to").fill("2026-01-01")
    history.get_by_role("button", name="Sök").click()
    expect(history.get_by_role("alert")).to_have_text(
        "Det första datumet måste komma före det sista."
    )

    history.goto(base + "/history/?customer=kim")
    history.locator("#history-results a.number").first.click()
    expect(history.locator(".timeline")).to_contain_text("Rut Rep startade sessionen")
    expect(history.locator(".timeline")).to_contain_text("Kim Kund anslöt")
    expect(history.locator(".chat-log")).to_contain_text("Skrivaren blinkar rött.")
    expect(history.locator(".audit-trail")).to_contain_text("Verifierad")
    ARTIFACTS.mkdir(exist_ok=True)
    history.screenshot(path=ARTIFACTS / "history-session-sv-1366.png", full_page=True)
    history.get_by_role("button", name="English").click()
    expect(history.locator(".timeline")).to_contain_text("Rut Rep started the session")
    expect(history.locator(".audit-trail")).to_contain_text("Verified")
    history.set_viewport_size({"width": 390, "height": 844})
    history.screenshot(path=ARTIFACTS / "history-session-en-390.png", full_page=True)
    overflow = history.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
