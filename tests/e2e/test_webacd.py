"""#8 in Chromium: a WebACD agent transfers a session with a message to a
queue; another agent sees the offer live, accepts it, and the customer, who
stayed connected through the wait, sees the new rep (R6.1-R6.6)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import join_by_number, log_in, make_sara_and_agnes, open_transfer_dialog
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user

MESSAGE = "Kunden vill byta abonnemang.\nHar redan verifierats."


def start_session(page) -> str:
    page.get_by_label("E-post", exact=True).uncheck()
    page.get_by_role("button", name="Starta", exact=True).click()
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    return page.locator("[data-session-number]").get_attribute("data-session-number")


@pytest.fixture
def webacd(live_server):
    make_sara_and_agnes(live_server)
    return live_server


@pytest.mark.e2e
def test_transfer_to_a_queue_and_an_agent_accepts(webacd, new_page):
    base = webacd.base_url
    agnes = new_page()
    log_in(agnes, base, "agnes@example.com")
    agnes.get_by_role("link", name="Inkommande sessioner").click()
    expect(agnes.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    expect(agnes.get_by_role("button", name="Tillgänglig")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(agnes.locator("#inbox")).to_contain_text("Inga sessioner väntar")

    sara = new_page()
    log_in(sara, base, "sara@example.com")
    number = start_session(sara)
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, number, "Kim Kund")
    sara.locator("#media-controls").get_by_role("button", name="Röstsamtal").click()
    expect(kim.locator("#activities")).to_contain_text("Röstsamtal")

    # R6.2-R6.3: Köer, one queue, a message with a live counter; 346 is refused.
    dialog = open_transfer_dialog(sara)
    expect(dialog.get_by_role("tab", name="Köer")).to_have_attribute("aria-selected", "true")
    dialog.get_by_role("tab", name="Agenter").click()
    expect(dialog.get_by_label("Agnes Agent")).to_be_enabled()
    dialog.get_by_role("tab", name="Köer").click()
    dialog.get_by_label("Första linjen").check()
    dialog.get_by_label("Personligt meddelande").fill("x" * 346)
    expect(dialog.locator("[data-counter]")).to_contain_text("346/345")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.get_by_role("alert")).to_contain_text("högst 345 tecken")
    expect(kim.locator("#session-status")).not_to_contain_text("Sessionen överförs")
    dialog.get_by_label("Personligt meddelande").fill(MESSAGE)
    expect(dialog.locator("[data-counter]")).to_contain_text(f"{len(MESSAGE)}/345")
    dialog.get_by_role("button", name="OK").click()

    # R6.4: the rep's part is over; R6.5: the customer waits, connected.
    expect(sara).to_have_url(base + "/support/")
    expect(sara.locator("#flash")).to_contain_text("Första linjen")
    expect(kim.locator("#session-status")).to_contain_text("Sessionen överförs")
    expect(kim.locator("#session-status")).to_contain_text("nummer 1 i kön")
    expect(kim.locator("#activities")).not_to_contain_text("Röstsamtal")
    expect(kim.locator("#participants")).not_to_contain_text("Sara Sändare")
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")

    # R6.5: the offer arrives live with the customer's name and the message.
    offer = agnes.locator(".offer")
    expect(offer).to_contain_text("Kim Kund")
    expect(offer).to_contain_text("Första linjen")
    expect(offer.locator(".offer-message")).to_contain_text("Har redan verifierats.")
    # The session opens in a tab of its own; Inkommande sessioner stays open.
    with agnes.context.expect_page() as opened:
        offer.get_by_role("button", name="Acceptera").click()
    session_page = opened.value
    expect(session_page.locator("#session-status")).to_contain_text("Du styr den här sessionen")
    expect(session_page.locator("[data-session-number]")).to_have_attribute(
        "data-session-number", number
    )
    expect(agnes.locator(".offer")).to_have_count(0)

    # The customer sees the new rep arrive, without a reload.
    expect(kim.locator("#session-status")).to_contain_text("Agnes Agent")
    expect(kim.locator("#session-status")).not_to_contain_text("Sessionen överförs")
    expect(kim.locator("#participants")).to_contain_text("Agnes Agent")
    # Sara's confirmation has gone by itself by now; it does not linger for hours.
    expect(sara.locator("#flash .alert")).to_have_count(0, timeout=10000)


@pytest.mark.e2e
def test_a_customer_request_waits_and_moves_on_when_an_agent_goes_away(webacd, new_page):
    """Item 7 and R6.6: the request form puts the customer in the queue; the
    agent who goes Borta has its offer taken back and passed on, live."""
    base = webacd.base_url
    with webacd.app_context():
        create_user("anton@example.com", "Anton Agent", "agent", "password123")
        queues.add_agent(queues.get_queue(1), queues.agent_by_email("anton@example.com"))
        db.session.remove()
    agnes, anton = new_page(), new_page(width=390, height=844)
    for page, email in ((agnes, "agnes@example.com"), (anton, "anton@example.com")):
        log_in(page, base, email)
        page.goto(base + "/incoming")
        expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")

    kim = new_page(width=390, height=844)
    kim.goto(base + "/")
    kim.get_by_role("link", name="Be om hjälp").click()
    kim.get_by_label("Vad behöver du hjälp med?").select_option(label="Första linjen")
    kim.get_by_label("Namn").fill("Kim Kund")
    kim.get_by_label("E-postadress").fill("kim@example.com")
    kim.get_by_label("Vad är problemet?").fill("Skrivaren skriver inte ut.")
    kim.get_by_role("button", name="Be om hjälp").click()
    expect(kim.locator("#session-status")).to_contain_text("Du väntar på en supportagent")
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")

    # Agnes was never busy and was created first: hers is the offer.
    expect(agnes.locator(".offer")).to_contain_text("Skrivaren skriver inte ut.")
    expect(anton.locator(".offer")).to_have_count(0)
    agnes.get_by_role("button", name="Borta").click()
    expect(agnes.get_by_role("button", name="Borta")).to_have_attribute("aria-pressed", "true")
    expect(agnes.locator(".offer")).to_have_count(0)
    expect(anton.locator(".offer")).to_contain_text("Kim Kund")

    with anton.context.expect_page() as opened:
        anton.get_by_role("button", name="Acceptera").click()
    expect(opened.value.locator("#session-status")).to_contain_text("Du styr den här sessionen")
    expect(kim.locator("#session-status")).to_contain_text("Anton Agent")


@pytest.mark.e2e
def test_an_abandoned_request_gives_the_agent_its_places_back_live(webacd, new_page):
    """#13 item 3: a request whose page closes, and one posted by a script
    that never opens it, hold the agent's places only for the queue's grace;
    Inkommande sessioner shows them come back without a reload."""
    base = webacd.base_url
    agnes = new_page()
    log_in(agnes, base, "agnes@example.com")
    agnes.goto(base + "/incoming")
    expect(agnes.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    room = agnes.locator("#agent-room")
    expect(room).to_contain_text("plats för 2 till")

    kim = new_page(width=390, height=844)
    kim.goto(base + "/request")
    kim.get_by_label("Vad behöver du hjälp med?").select_option(label="Första linjen")
    kim.get_by_label("Namn").fill("Kim Kund")
    kim.get_by_label("E-postadress").fill("kim@example.com")
    kim.get_by_label("Vad är problemet?").fill("Skrivaren skriver inte ut.")
    kim.get_by_role("button", name="Be om hjälp").click()
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    script = new_page().request.post(
        base + "/request",
        form={"queue": "1", "name": "Bot", "email": "bot@example.com", "problem": "x"},
        max_redirects=0,
    )
    assert script.status == 302
    expect(agnes.locator(".offer")).to_have_count(2)
    expect(room).to_contain_text("plats för 0 till")

    kim.close()
    grace = webacd.config["QUEUE_GRACE_SECONDS"] + webacd.config["PRESENCE_GRACE_SECONDS"]
    expect(agnes.locator(".offer")).to_have_count(0, timeout=(grace + 5) * 1000)
    expect(room).to_contain_text("plats för 2 till")
