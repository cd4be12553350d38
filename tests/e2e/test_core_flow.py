"""Issue #3 end to end in Chromium: start, invite by mail, join by link and by
number, live participants on every page, and the session ending when the rep
closes the dashboard."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import join_by_number, log_in_and_start, make_rut
from webapp.extensions import db

WORDS = {
    "sv": {
        "start": "Starta",
        "email_box": "E-post",
        "invite": "Bjud in",
        "customer": "Kund",
        "address": "E-postadress",
        "ok": "OK",
        "sent": "Inbjudan till",
        "join": "Delta",
        "number": "Sessionsnummer",
        "name": "Namn",
        "participants": "Deltagare",
        "in_control": "Styr sessionen",
        "ended": "Sessionen har avslutats",
        "tools": "Verktyg",
        "language": "Svenska",
        "subject": "supportsession",
        "bad_email": "giltig e-postadress",
    },
    "en": {
        "start": "Start",
        "email_box": "Email",
        "invite": "Invite",
        "customer": "Customer",
        "address": "Email address",
        "ok": "OK",
        "sent": "The invitation to",
        "join": "Join",
        "number": "Session number",
        "name": "Name",
        "participants": "Participants",
        "in_control": "In control",
        "ended": "The session has ended",
        "tools": "Tools",
        "language": "English",
        "subject": "support session",
        "bad_email": "valid email address",
    },
}


def participants_of(page):
    return page.locator("#participants")


@pytest.mark.e2e
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_invite_join_live_participants_and_end(live_server, new_page, locale):
    words = WORDS[locale]
    base = live_server.base_url
    make_rut(live_server)

    # The rep logs in, in the scenario's language.
    rep = new_page()
    rep.goto(base + "/login")
    rep.get_by_role("button", name=words["language"]).click()
    rep.get_by_label(words["email_box"]).fill("rut@example.com")
    rep.get_by_label("Lösenord" if locale == "sv" else "Password").fill("password123")
    rep.keyboard.press("Enter")

    # R1.1/R1.3: Starta with E-post checked opens the invite dialog.
    expect(rep.get_by_label(words["email_box"], exact=True)).to_be_checked()
    rep.get_by_role("button", name=words["start"], exact=True).click()
    dialog = rep.get_by_role("dialog", name=words["invite"])
    expect(dialog).to_be_visible()
    number = rep.locator("[data-session-number]").get_attribute("data-session-number")
    expect(rep.locator(".session-number .number")).to_have_text(
        f"{number[:3]} {number[3:6]} {number[6:]}"
    )
    expect(rep.locator("[data-connection]")).to_have_attribute("data-connection", "open")

    # Bad input: an invalid address is refused inside the dialog.
    address = dialog.get_by_label(words["address"])
    expect(address).to_be_focused()
    address.fill("not-an-address")
    dialog.get_by_role("button", name=words["ok"], exact=True).click()
    expect(dialog.get_by_text(words["bad_email"])).to_be_visible()
    assert live_server.inbox.messages == []

    # R2.2/R2.3: a customer invitation by server mail, in the chosen language.
    dialog.get_by_label(words["customer"], exact=True).check()
    dialog.get_by_label(words["address"]).fill("kim@example.com")
    dialog.get_by_role("button", name=words["ok"], exact=True).click()
    expect(dialog.get_by_text(words["sent"])).to_be_visible()
    [mail] = live_server.inbox.wait_for(1)
    assert mail["To"] == "kim@example.com"
    assert words["subject"] in mail["Subject"]
    body = mail.get_content()
    link = re.search(r"http://\S+/join/i/\S+", body).group(0)
    assert f"{number[:3]} {number[3:6]} {number[6:]}" in body
    dialog.get_by_role("button", name="Stäng" if locale == "sv" else "Close").click()
    expect(dialog).to_be_hidden()
    invite_button = rep.get_by_role("button", name=words["invite"])
    expect(invite_button).to_be_focused()
    assert "invite=" not in rep.url  # a reload must not pop the dialog again
    # R2.6: the invite panel opens again, from the keyboard.
    rep.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    rep.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(invite_button).to_be_focused()

    # R2.4: the customer opens the link, gives a name, lands on the session page.
    kim = new_page()
    kim.goto(base + "/")
    kim.get_by_role("button", name=words["language"]).click()
    kim.goto(link)
    kim.get_by_label(words["name"]).fill("Kim Kund")
    kim.get_by_role("button", name=words["join"], exact=True).click()
    expect(participants_of(kim)).to_contain_text("Kim Kund")
    expect(participants_of(kim)).to_contain_text("Rut Rep")
    expect(participants_of(kim)).to_contain_text(words["in_control"])
    # R9: the rep's panel shows Kim without a reload.
    expect(participants_of(rep)).to_contain_text("Kim Kund")

    # R2.5: a second customer joins by number via Delta.
    sam = new_page(width=390, height=800)
    sam.goto(base + "/")
    sam.get_by_role("button", name=words["language"]).click()
    sam.get_by_role("navigation").get_by_role("link", name=words["join"]).click()
    sam.get_by_label(words["number"]).fill(f"{number[:3]} {number[3:6]} {number[6:]}")
    sam.get_by_label(words["name"]).fill("Sam Second")
    sam.get_by_role("button", name=words["join"], exact=True).click()
    expect(participants_of(sam)).to_contain_text("Kim Kund")
    for page in (rep, kim):
        expect(participants_of(page)).to_contain_text("Sam Second")
    # One panel is rendered for everyone; each page still marks its own row.
    you = "du" if locale == "sv" else "you"
    expect(participants_of(kim).locator(".is-me")).to_have_text(re.compile(rf"Kim Kund \({you}\)"))
    expect(participants_of(sam).locator(".is-me")).to_contain_text("Sam Second")
    expect(participants_of(rep).locator(".is-me")).to_contain_text("Rut Rep")
    expect(participants_of(rep).locator("li")).to_have_count(3)

    # R1.5: the rep closes the dashboard; after the grace period the customers see the end.
    rep.close()
    for page in (kim, sam):
        expect(page.get_by_role("heading", name=words["ended"])).to_be_visible(timeout=10000)
    # ... and the invitation link no longer works.
    kim.goto(link)
    expect(kim.get_by_role("heading")).to_contain_text("avslutats" if locale == "sv" else "ended")


@pytest.mark.e2e
def test_reload_inside_the_grace_period_keeps_the_session(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    number = log_in_and_start(rep, base)  # E-post cleared: no dialog opens
    kim = new_page()
    join_by_number(kim, base, number, "Kim")
    expect(participants_of(rep)).to_contain_text("Kim")

    for _ in range(3):  # each reload is well inside the 2 s grace period
        rep.reload()
        expect(rep.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    rep.wait_for_timeout(2500)
    expect(participants_of(kim)).to_contain_text("Rut Rep")
    expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_have_count(0)

    # Avsluta session ends it at once, for everyone.
    rep.once("dialog", lambda confirm: confirm.accept())
    rep.get_by_role("button", name="Avsluta session").click()
    expect(rep).to_have_url(re.compile(r"/support/$"))
    expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_be_visible()


@pytest.mark.e2e
def test_an_ended_session_from_an_earlier_day_shows_its_date(live_server, new_page):
    """Times show in the browser's zone; only today's go without a date."""
    from datetime import datetime

    from webapp.models import SupportSession

    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    log_in_and_start(rep, base)
    rep.on("dialog", lambda dialog: dialog.accept())
    rep.get_by_role("button", name="Avsluta session").click()
    expect(rep.get_by_role("region", name="Avslutade sessioner")).to_be_visible()
    with live_server.app_context():
        db.session.execute(db.update(SupportSession).values(ended_at=datetime(2026, 1, 15, 12, 0)))
        db.session.commit()
        db.session.remove()
    rep.goto(base + "/support/")
    ended = rep.get_by_role("region", name="Avslutade sessioner").locator("time")
    expect(ended).to_contain_text("2026")
    expect(ended).to_contain_text("jan")
