"""Snabbsvar in the chat (#17 item 2): "/" opens the rep's replies, typing
filters them, the keys choose, and Enter puts the reply in the customer's
language with {kund} and {rep} filled."""

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import log_in_and_start, make_rut
from webapp.extensions import db
from webapp.services import replies
from webapp.services.users import create_user


@pytest.mark.e2e
def test_a_canned_reply_goes_out_in_the_customers_language(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    with live_server.app_context():
        admin = create_user("ada@example.com", "Ada Admin", "admin", "password123")
        replies.add(
            admin, "Hälsning", "Hej {kund}, jag heter {rep}.", "Hi {kund}, I am {rep}.", True
        )
        replies.add(admin, "Omstart", "Starta om datorn, {kund}.", "", shared=True)
        replies.add(admin, "Avslut", "", "Thanks for today!", shared=True)
        db.session.remove()
    rep = new_page()
    number = log_in_and_start(rep, base)
    kim = new_page(width=390, height=844)
    kim.goto(base + "/join/")
    kim.get_by_role("button", name="English").click()
    kim.get_by_label("Session number").fill(number)
    kim.get_by_label("Name").fill("Kim")
    kim.get_by_role("button", name="Join", exact=True).click()
    expect(rep.locator("#participants")).to_contain_text("Kim")

    box = rep.get_by_label("Meddelande")
    choices = rep.get_by_role("listbox", name="Snabbsvar")
    box.fill("/")
    expect(choices.get_by_role("option")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    rep.locator("#chat").screenshot(path=ARTIFACTS / "canned-replies.png")
    box.press_sequentially("om")  # filters by name as it is typed
    expect(choices.get_by_role("option")).to_have_count(1)
    box.fill("")
    box.press_sequentially("/h")
    expect(choices.get_by_role("option")).to_have_text(["HälsningHi Kim, I am Rut Rep."])
    box.press("Enter")  # takes the reply; it does not send the "/h"
    expect(choices).to_be_hidden()
    expect(box).to_have_value("Hi Kim, I am Rut Rep.")
    box.press("Enter")
    expect(kim.locator("#chat-log")).to_contain_text("Hi Kim, I am Rut Rep.")
    expect(kim.locator("#chat-log")).not_to_contain_text("/h")

    # A reply without the customer's language goes out in the one it has;
    # Escape closes the list and leaves what was typed.
    box.fill("/o")
    expect(choices.get_by_role("option")).to_have_count(1)
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("Starta om datorn, Kim.")
    box.fill("/")
    box.press("Escape")
    expect(choices).to_be_hidden()
    expect(box).to_have_value("/")
    # A customer's page offers no replies.
    expect(kim.get_by_role("listbox")).to_have_count(0)
