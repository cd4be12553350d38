"""#17 item 5 in Chromium: an offer nobody accepts within
OFFER_TIMEOUT_SECONDS moves to the next agent's Inkommande sessioner; with no
agent left the session goes back to the agent who transferred it, whose page
says so, and the customer is told, in Swedish and in English."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import log_in
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user

TIMEOUT = 3  # seconds; the sweep looks four times per timeout

WORDS = {
    "sv": {
        "language": "Svenska",
        "start": "Starta",
        "email": "E-post",
        "number": "Sessionsnummer",
        "name": "Namn",
        "join": "Delta",
        "session_tab": "Session",
        "transfer": "Överför session",
        "ok": "OK",
        "transferred": "Sessionen överförs",
        "returned": "Ingen agent tog emot sessionen. Den är tillbaka hos dig.",
        "open": "Öppna sessionen",
        "in_control": "Du styr den här sessionen",
        "told": "Ingen supportagent kunde ta sessionen, så Sara Sändare från supporten "
        "är med dig igen.",
    },
    "en": {
        "language": "English",
        "start": "Start",
        "email": "Email",
        "number": "Session number",
        "name": "Name",
        "join": "Join",
        "session_tab": "Session",
        "transfer": "Transfer Session",
        "ok": "OK",
        "transferred": "The session is being transferred",
        "returned": "No agent accepted the session. It is back with you.",
        "open": "Open the session",
        "in_control": "You are in control of this session",
        "told": "No support agent could take the session, so Sara Sändare from support "
        "is with you again.",
    },
}


@pytest.fixture
def two_agents_queue(make_live_server):
    server = make_live_server(OFFER_TIMEOUT_SECONDS=TIMEOUT)
    with server.app_context():
        create_user("sara@example.com", "Sara Sändare", "agent", "password123")
        create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        create_user("anton@example.com", "Anton Agent", "agent", "password123")
        queues.create_queue("Första linjen", ["agnes@example.com", "anton@example.com"])
        db.session.remove()
    return server


def in_language(page, words) -> None:
    if words["language"] != "Svenska":
        page.get_by_role("button", name=words["language"]).click()


def on_inbox(page, base, email, words):
    log_in(page, base, email)
    in_language(page, words)
    page.goto(base + "/incoming")
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")


@pytest.mark.e2e
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_an_offer_nobody_accepts_moves_on_and_comes_back(two_agents_queue, new_page, locale):
    words, base = WORDS[locale], two_agents_queue.base_url
    agnes, anton = new_page(), new_page(width=390, height=844)
    on_inbox(agnes, base, "agnes@example.com", words)
    on_inbox(anton, base, "anton@example.com", words)

    sara = new_page()
    log_in(sara, base, "sara@example.com")
    in_language(sara, words)
    sara.get_by_label(words["email"], exact=True).uncheck()
    sara.get_by_role("button", name=words["start"], exact=True).click()
    expect(sara.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    number = sara.locator("[data-session-number]").get_attribute("data-session-number")
    kim = new_page(width=390, height=844)
    kim.goto(base + "/join/")
    in_language(kim, words)
    kim.get_by_label(words["number"]).fill(number)
    kim.get_by_label(words["name"]).fill("Kim Kund")
    kim.get_by_role("button", name=words["join"], exact=True).click()
    expect(sara.locator("#participants")).to_contain_text("Kim Kund")

    sara.get_by_role("tab", name=words["session_tab"]).click()
    sara.locator("#transfer-menu summary").click()
    sara.locator("#transfer-menu").get_by_role("button", name=words["transfer"]).click()
    dialog = sara.get_by_role("dialog", name=words["transfer"])
    dialog.get_by_label("Första linjen").check()
    dialog.get_by_role("button", name=words["ok"]).click()
    expect(kim.locator("#session-status")).to_contain_text(words["transferred"])
    sara.goto(base + "/incoming")
    expect(sara.locator("[data-connection]")).to_have_attribute("data-connection", "open")

    # Agnes was created first: hers is the offer; she lets it lapse, and it
    # moves to Anton, live, without a reload on either page.
    expect(agnes.locator(".offer")).to_contain_text("Kim Kund")
    expect(anton.locator(".offer")).to_have_count(0)
    expect(anton.locator(".offer")).to_contain_text("Kim Kund", timeout=(TIMEOUT + 5) * 1000)
    expect(agnes.locator(".offer")).to_have_count(0)

    # Anton lets it lapse too: nobody is left, so it goes back to Sara.
    returned = sara.locator("[data-returned-session]")
    expect(returned).to_contain_text(words["returned"], timeout=(TIMEOUT + 5) * 1000)
    expect(sara.locator("#announcer")).to_contain_text(words["returned"])  # heard, too
    expect(anton.locator(".offer")).to_have_count(0)
    expect(agnes.locator(".offer")).to_have_count(0)
    expect(kim.locator("#session-status")).to_contain_text(words["told"])

    returned.get_by_role("link", name=words["open"]).click()
    expect(sara.locator("#session-status")).to_contain_text(words["in_control"])
    expect(sara.locator("#participants")).to_contain_text("Kim Kund")
