"""Steps several browser tests take, in Swedish (the default UI)."""

from playwright.sync_api import expect

from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user


def log_in_and_start(page, base: str) -> str:
    """Rut logs in and starts a session without the invite dialog; returns its number."""
    page.goto(base + "/login")
    page.get_by_label("E-post").fill("rut@example.com")
    page.get_by_label("Lösenord").fill("password123")
    page.get_by_role("button", name="Logga in").click()
    page.get_by_label("E-post", exact=True).uncheck()
    page.get_by_role("button", name="Starta", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    return page.locator("[data-session-number]").get_attribute("data-session-number")


def join_by_number(page, base: str, number: str, name: str) -> None:
    page.goto(base + "/join/")
    page.get_by_label("Sessionsnummer").fill(number)
    page.get_by_label("Namn").fill(name)
    page.get_by_role("button", name="Delta", exact=True).click()
    expect(page.locator("#participants")).to_contain_text(name)
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")


def join_in(page, base: str, number: str, name: str, language: str) -> None:
    """A customer joins by number, in English after choosing it on the join page."""
    if language != "en":
        join_by_number(page, base, number, name)
        return
    page.goto(base + "/join/")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Session number").fill(number)
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")


def count_socket_closes(*pages) -> None:
    """Counts each page's socket closes: a close the page reconnects from at
    once is too brief for a locator to see."""
    for page in pages:
        page.evaluate(
            "() => { window.socketCloses = 0;"
            " document.addEventListener('htmx:wsClose', () => window.socketCloses++); }"
        )


def socket_closes(*pages) -> list[int]:
    """How often each page's socket closed since `count_socket_closes`."""
    return [page.evaluate("() => window.socketCloses") for page in pages]


DECODED = """([kind, owner]) => {
  const tile = document.querySelector(`#media-stage [data-key="${owner}:${kind}"] video`);
  return tile !== null && tile.videoWidth > 0 && tile.readyState >= 2;
}"""


def wait_decoded(page, kind: str, owner: int) -> None:
    """Until the page shows `owner`'s `kind` (a share, a camera) with frames."""
    page.wait_for_function(DECODED, arg=[kind, owner], timeout=15000)


def shown(page):
    """The page without #announcer, which repeats for screen readers what
    happened ("Sessionen har avslutats") and would make a text match twice."""
    return page.locator("body > :not(#announcer)")


def me(page) -> int:
    """The participant id of the page's own seat."""
    return int(page.locator("#session-live").get_attribute("data-me"))


def rep_with_a_customer(live_server, new_page, **kim_viewport):
    """Rut starts a session and Kim joins it by number; returns (rep, kim, number)."""
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    number = log_in_and_start(rep, base)
    kim = new_page(**kim_viewport)
    join_by_number(kim, base, number, "Kim")
    return rep, kim, number


def rep_with_two_customers(live_server, new_page):
    """Rut starts a session; Kim (on a phone) and Ola join it by number."""
    rep, kim, number = rep_with_a_customer(live_server, new_page, width=390, height=844)
    ola = new_page()
    join_by_number(ola, live_server.base_url, number, "Ola")
    return rep, kim, ola


def make_rut(live_server) -> None:
    with live_server.app_context():
        create_user("rut@example.com", "Rut Rep", "rep", "password123")
        db.session.remove()


def make_sara_and_agnes(live_server) -> None:
    """Two WebACD agents: Sara transfers, Agnes is the only agent of Första linjen."""
    with live_server.app_context():
        create_user("sara@example.com", "Sara Sändare", "agent", "password123")
        create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        queues.create_queue("Första linjen", ["agnes@example.com"])
        db.session.remove()


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill("password123")
    page.get_by_role("button", name="Logga in").click()


def open_transfer_dialog(page):
    page.get_by_role("tab", name="Session").click()
    page.locator("#transfer-menu summary").click()
    page.locator("#transfer-menu").get_by_role("button", name="Överför session").click()
    return page.get_by_role("dialog", name="Överför session")


def chat_of(page):
    return page.locator("#chat-log")


def say(page, text):
    page.get_by_label("Meddelande").fill(text)
    page.get_by_role("button", name="Skicka", exact=True).click()


def press(page, name):
    page.locator("#media-controls").get_by_role("button", name=name, exact=True).click()


def open_window_tab(rep):
    """Bjud in in the window's toolbar: a new session in a new tab; returns its number."""
    tabs_before = rep.locator("#multi-tabs [role=tab]").count()
    rep.locator(".multi-toolbar").get_by_role("button", name="Bjud in").click()
    expect(rep.locator("#multi-tabs [role=tab]")).to_have_count(tabs_before + 1)
    tab = rep.locator("#multi-tabs [role=tab][aria-selected=true]")
    frame = rep.frame_locator(f"#{tab.get_attribute('aria-controls')} > iframe")
    # The new session's invite dialog opens in its tab (R3.4: invite is in the toolbar).
    frame.get_by_role("dialog").get_by_role("button", name="Avbryt").click()
    expect(frame.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    return tab.locator(".tab-number").inner_text().replace(" ", ""), frame


def allow_recording(*customers, allow="Tillåt"):
    """Each customer answers "Supporten vill spela in sessionen" (#16 item 4)."""
    for customer in customers:
        customer.locator(".consent-prompt").get_by_role("button", name=allow).click()
