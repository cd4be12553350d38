"""#15 item 1, live regions: a screen reader hears a new participant, a chat
line, an offer and the session's end once each, and nothing when a panel is
swapped or a reconnect sends everything afresh.

The pages' one live region for events is #announcer (base.html); the test
records every sentence added to it, which is what a screen reader speaks."""

import pytest
from playwright.sync_api import expect

from tests.e2e.cluster import FailoverProxy
from tests.e2e.fixtures import free_port
from tests.e2e.steps import join_by_number, log_in, log_in_and_start, make_rut
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user

LISTEN = """() => {
  window.heard = [];
  new MutationObserver((records) => records.forEach((record) =>
    record.addedNodes.forEach((node) => window.heard.push(node.textContent.trim()))
  )).observe(document.getElementById("announcer"), {childList: true, subtree: true});
}"""
HEARD_AT_LEAST = "(count) => window.heard.length >= count"
# What is live on a session page besides #announcer: the socket's state
# (its text never changes, only which part shows), the stage of shares and
# the error and status lines of chat, files and media, none of them swapped.
PANELS = ["participants", "session-status", "activities", "media-controls", "session-actions",
          "tools-actions", "chat-log", "file-list", "recordings"]  # fmt: skip
LIVE_PANELS = """(ids) => {
  const live = "[aria-live], [role=status], [role=alert], [role=log]";
  return ids.filter((id) => {
    const panel = document.getElementById(id);
    return panel !== null && (panel.closest(live) !== null || panel.querySelector(live) !== null);
  });
}"""
SETTLE_MS = 1000  # panels follow an event by 0.25 s; anything late would show by then


def listen(page) -> None:
    page.evaluate(LISTEN)


def heard_exactly(page, sentences: list[str]) -> None:
    page.wait_for_function(HEARD_AT_LEAST, arg=len(sentences))
    page.wait_for_timeout(SETTLE_MS)
    assert page.evaluate("() => window.heard") == sentences


@pytest.mark.e2e
def test_each_event_is_heard_once_and_no_panel_swap_is(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    number = log_in_and_start(rep, base)
    listen(rep)
    proxy = FailoverProxy(free_port(), [int(base.rsplit(":", 1)[1])])
    try:
        kim = new_page(width=390, height=844)
        join_by_number(kim, proxy.url, number, "Kim")
        # Her arrival re-renders the rep's panels twice (the seat, then its socket).
        expect(rep.locator("#participants")).to_contain_text("Kim")
        joined = "Kim anslöt till sessionen."
        heard_exactly(rep, [joined])
        listen(kim)

        kim.get_by_label("Meddelande").fill("Hej Rut")
        kim.get_by_role("button", name="Skicka", exact=True).click()
        heard_exactly(rep, [joined, "Kim skrev: Hej Rut"])
        rep.get_by_label("Meddelande").fill("Hej Kim")
        rep.get_by_role("button", name="Skicka", exact=True).click()
        said_to_kim = ["Rut Rep skrev: Hej Kim"]
        heard_exactly(kim, said_to_kim)  # her own line is not read back to her
        heard_exactly(rep, [joined, "Kim skrev: Hej Rut"])

        # Panels swap on both pages; Kim's socket drops and, back, gets
        # every panel and the whole chat log again. Nobody hears any of it.
        rep.locator("#media-controls").get_by_role("button", name="Röstsamtal").click()
        expect(kim.locator("#activities")).to_contain_text("Röstsamtal")
        proxy.cut()
        expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "closed")
        proxy.restore()
        expect(kim.locator("[data-connection]")).to_have_attribute(
            "data-connection", "open", timeout=15000
        )
        expect(kim.locator("#chat-log")).to_contain_text("Hej Kim")
        heard_exactly(kim, said_to_kim)
        heard_exactly(rep, [joined, "Kim skrev: Hej Rut"])
        for page in (rep, kim):
            assert page.evaluate(LIVE_PANELS, PANELS) == []

        rep.on("dialog", lambda confirm: confirm.accept())
        rep.get_by_role("tab", name="Session").click()
        rep.get_by_role("button", name="Avsluta session").click()
        expect(kim.locator("body")).to_contain_text("Sessionen har avslutats")
        heard_exactly(kim, [*said_to_kim, "Sessionen har avslutats"])
    finally:
        proxy.stop()


@pytest.mark.e2e
def test_an_offer_is_heard_once_and_the_inbox_re_rendering_is_not(live_server, new_page):
    base = live_server.base_url
    with live_server.app_context():
        create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        queues.create_queue("Första linjen", ["agnes@example.com"])
        db.session.remove()
    agnes = new_page()
    log_in(agnes, base, "agnes@example.com")
    agnes.goto(base + "/incoming")
    expect(agnes.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    listen(agnes)

    kim = new_page(width=390, height=844)
    kim.goto(base + "/request")
    kim.get_by_label("Namn").fill("Kim Kund")
    kim.get_by_label("E-postadress").fill("kim@example.com")
    kim.get_by_label("Vad är problemet?").fill("Skrivaren skriver inte ut.")
    kim.get_by_role("button", name="Be om hjälp").click()
    expect(agnes.locator(".offer")).to_contain_text("Kim Kund")
    offered = ["En session erbjuds dig: Kim Kund (Första linjen)."]
    heard_exactly(agnes, offered)

    # The inbox swaps again (Tillgänglig, already on); the offer is not news.
    agnes.get_by_role("button", name="Tillgänglig").click()
    expect(agnes.locator(".offer")).to_contain_text("Kim Kund")
    heard_exactly(agnes, offered)
