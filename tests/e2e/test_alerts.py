"""The agent's day (#17 item 1): an offer in Inkommande sessioner sounds,
shows a notification while the tab is hidden, and counts in the title; a
chat line that was not seen counts in the title too. Headless Chromium plays
and notifies for real; the pages are only watched, by these init scripts."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import (
    join_by_number,
    log_in,
    log_in_and_start,
    make_rut,
    open_window_tab,
    say,
)
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user

# Counts the notes the page plays and the notifications it shows, lets the
# test put the tab in the background (headless tabs are never hidden), and
# plays a browser never asked for notifications (headless says "denied").
WATCH = """
window.tonesPlayed = 0;
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.tonesPlayed += 1;
  return createOscillator.call(this);
};
window.notificationsShown = [];
const RealNotification = window.Notification;
window.permissionAsked = sessionStorage.getItem("permissionAsked") === "1";
window.Notification = class extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.notificationsShown.push(title);
  }
  static get permission() {
    return window.permissionAsked ? RealNotification.permission : "default";
  }
  static requestPermission() {
    window.permissionAsked = true;
    sessionStorage.setItem("permissionAsked", "1");
    return RealNotification.requestPermission();
  }
};
window.inBackground = false;
Object.defineProperty(Document.prototype, "hidden", { get: () => window.inBackground });
Object.defineProperty(Document.prototype, "visibilityState", {
  get: () => (window.inBackground ? "hidden" : "visible"),
});
"""


def to_background(page, hidden: bool) -> None:
    page.evaluate(
        "(hidden) => { window.inBackground = hidden;"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def ask_for_help(page, base: str, name: str) -> None:
    page.goto(base + "/request")
    page.get_by_label("Namn").fill(name)
    page.get_by_label("E-postadress").fill("kund@example.com")
    page.get_by_label("Vad är problemet?").fill("Skrivaren skriver inte ut.")
    page.get_by_role("button", name="Be om hjälp").click()


@pytest.mark.e2e
def test_an_offer_sounds_notifies_in_the_background_and_counts_in_the_title(live_server, new_page):
    base = live_server.base_url
    with live_server.app_context():
        agent = create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        queues.set_capacity(agent, 5)
        queues.create_queue("Första linjen", ["agnes@example.com"])
        db.session.remove()
    agnes = new_page()
    agnes.add_init_script(WATCH)
    log_in(agnes, base, "agnes@example.com")
    agnes.goto(base + "/incoming")
    expect(agnes.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    assert agnes.title() == "Inkommande sessioner · Supportcenter"

    # No permission is asked for until the agent asks to be notified.
    enable = agnes.get_by_role("button", name="Aktivera aviseringar")
    expect(enable).to_be_visible()
    assert not agnes.evaluate("() => window.permissionAsked")
    agnes.context.grant_permissions(["notifications"])
    enable.click()
    expect(enable).to_be_hidden()
    expect(agnes.get_by_text("Aviseringar är på")).to_be_visible()

    to_background(agnes, True)
    ask_for_help(new_page(width=390, height=844), base, "Kim Kund")
    expect(agnes.locator(".offer")).to_contain_text("Kim Kund")
    expect(agnes).to_have_title("(1) Inkommande sessioner · Supportcenter")
    agnes.wait_for_function("() => window.tonesPlayed >= 2")
    assert agnes.evaluate("() => window.notificationsShown") == ["En session erbjuds dig"]

    # Muted, a second offer only counts; the choice outlives a reload.
    agnes.get_by_role("button", name="Stäng av ljudet").click()
    agnes.reload()
    mute = agnes.get_by_role("button", name="Stäng av ljudet")
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(agnes).to_have_title("(1) Inkommande sessioner · Supportcenter")
    agnes.locator("body").click()  # a click allows sound again after the reload
    to_background(agnes, True)
    ask_for_help(new_page(width=390, height=844), base, "Ola Kund")
    expect(agnes.locator(".offer")).to_have_count(2)
    expect(agnes).to_have_title("(2) Inkommande sessioner · Supportcenter")
    assert agnes.evaluate("() => window.tonesPlayed") == 0
    agnes.wait_for_function("() => window.notificationsShown.length === 1")

    # In the foreground a new offer sounds, and shows no notification.
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false")
    to_background(agnes, False)
    ask_for_help(new_page(width=390, height=844), base, "Per Kund")
    expect(agnes).to_have_title("(3) Inkommande sessioner · Supportcenter")
    agnes.wait_for_function("() => window.tonesPlayed >= 2")
    assert agnes.evaluate("() => window.notificationsShown") == ["En session erbjuds dig"]


@pytest.mark.e2e
def test_lines_said_while_the_tab_was_hidden_count_in_its_title(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    rep.add_init_script(WATCH)
    number = log_in_and_start(rep, base)
    title = rep.title()
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, number, "Kim")
    say(kim, "Hej, är du där?")
    expect(rep.locator("#chat-log")).to_contain_text("är du där")
    assert rep.title() == title  # seen as it came

    to_background(rep, True)
    say(kim, "Skrivaren blinkar rött.")
    say(kim, "Nu slutade den.")
    expect(rep).to_have_title(f"(2) {title}")
    say(rep, "Jag tittar på det.")  # the rep's own line is no news to the rep
    expect(rep.locator("#chat-log")).to_contain_text("Jag tittar")
    assert rep.title() == f"(2) {title}"
    to_background(rep, False)
    expect(rep).to_have_title(title)


@pytest.mark.e2e
def test_a_line_in_a_tab_not_showing_marks_that_tab_until_it_is_chosen(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    log_in_and_start(rep, base)
    rep.goto(base + "/support/multi/")
    expect(rep.locator(".multi-window")).to_have_attribute("data-connection", "open")
    title = rep.title()
    first_number, _first = open_window_tab(rep)
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, first_number, "Kim")
    second_number, _second = open_window_tab(rep)
    ola = new_page(width=390, height=844)
    join_by_number(ola, base, second_number, "Ola")
    expect(rep.locator("#multi-tabs")).to_contain_text("Ola")
    kim_tab = rep.get_by_role("tab", name="Kim")
    ola_tab = rep.get_by_role("tab", name="Ola")
    expect(ola_tab).to_have_attribute("aria-selected", "true")

    say(kim, "Hallå, är någon där?")
    expect(kim_tab.locator(".unread .visually-hidden")).to_have_text("1 oläst")
    expect(rep).to_have_title(f"(1) {title}")
    say(ola, "Tack, nu fungerar det.")  # in the tab that is showing: seen
    say(kim, "Skrivaren blinkar.")
    expect(kim_tab.locator(".unread .visually-hidden")).to_have_text("2 olästa")
    expect(rep).to_have_title(f"(2) {title}")
    expect(ola_tab.locator(".unread")).to_have_count(0)

    kim_tab.click()
    expect(kim_tab.locator(".unread")).to_have_count(0)
    expect(rep).to_have_title(title)
