"""#15 item 1: axe-core on every page and dialog, in Swedish and English, as
each kind of user: a visitor, a customer, a rep in control, an assisting rep,
a WebACD agent and an admin. A serious or critical violation fails the test;
the others are printed and written to test-artifacts/accessibility/.

The steps find fields and buttons by id and class, not by their words, so
one walk serves both languages."""

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Audit, serve_axe
from tests.e2e.steps import me, wait_decoded
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user, set_locale

LOCALES = ["sv", "en"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def audit(live_server, request):
    audit = Audit(live_server.base_url, request.node.name.replace("[", "-").rstrip("]"))
    yield audit
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        audit.write()  # what was found before the failure, for the artifacts


@pytest.fixture
def open_page(live_server, new_page):
    """A page in a context that may load axe, in the chosen language."""

    def open_in(locale: str, viewport: dict = DESKTOP):
        page = new_page(**viewport)
        serve_axe(page.context, live_server.base_url)
        page.locale = locale
        return page

    return open_in


def make_staff(server, locale: str, *people: tuple[str, str, str]) -> None:
    with server.app_context():
        for email, name, role in people:
            set_locale(create_user(email, name, role, "password123"), locale)
        db.session.remove()


def choose_language(page) -> None:
    """A visitor's language: the header's switch (Svenska is the default)."""
    if page.locale == "en":
        page.locator("button[name=locale][value=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill("password123")
    page.locator("main form button.primary").click()
    expect(page.locator("html")).to_have_attribute("lang", page.locale)


def connected(page) -> None:
    expect(page.locator("[data-connection]").first).to_have_attribute("data-connection", "open")


def start_session(page, base: str) -> str:
    """From Ge support, without the invite dialog; returns the session number."""
    page.goto(base + "/support/")
    page.locator("#email").uncheck()
    page.locator("form[action$='/support/start'] button").click()
    connected(page)
    return page.locator("[data-session-number]").get_attribute("data-session-number")


def join(page, base: str, number: str, name: str) -> None:
    page.goto(base + "/join/")
    choose_language(page)
    page.locator("#number").fill(number)
    page.locator("#name").fill(name)
    page.locator("main form button.primary").click()
    connected(page)


def open_dialog(page, opener: str):
    page.locator(opener).click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def close_dialog(page) -> None:
    page.locator("dialog[open] [data-close-dialog]").first.click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def open_transfer_menu(page) -> None:
    page.locator("#tab-session").click()
    page.locator("#transfer-menu summary").click()
    expect(page.locator("#transfer-menu .menu-items")).to_be_visible()


@pytest.mark.e2e
@pytest.mark.parametrize("locale", LOCALES)
def test_visitor_pages(live_server, open_page, audit, locale):
    """Front page, Delta, Be om hjälp, login, an error page, and the wait of a
    customer who asked for help (which needs a queue with an agent)."""
    base = live_server.base_url
    make_staff(live_server, locale, ("agnes@example.com", "Agnes Agent", "agent"))
    with live_server.app_context():
        queues.create_queue("Första linjen", ["agnes@example.com"])
        db.session.remove()
    page = open_page(locale)
    page.goto(base + "/")
    choose_language(page)
    audit.check(page, "front page")
    page.goto(base + "/join/")
    audit.check(page, "join")
    page.locator("#number").fill("000000000")
    page.locator("#name").fill("Kim")
    page.locator("main form button.primary").click()
    expect(page.locator("[aria-invalid=true], .alert-error").first).to_be_visible()
    audit.check(page, "join, wrong number")
    page.goto(base + "/login")
    audit.check(page, "login")
    page.locator("#email").fill("nobody@example.com")
    page.locator("#password").fill("wrong")
    page.locator("main form button.primary").click()
    expect(page.locator(".alert-error")).to_be_visible()
    audit.check(page, "login, wrong password")
    page.goto(base + "/no-such-page")
    audit.check(page, "not found")

    phone = open_page(locale, PHONE)
    phone.goto(base + "/request")
    choose_language(phone)
    audit.check(phone, "request help")
    phone.locator("#name").fill("Kim Kund")
    phone.locator("#email").fill("kim@example.com")
    phone.locator("#problem").fill("Skrivaren skriver inte ut.")
    phone.locator("main form button.primary").click()
    connected(phone)
    expect(phone.locator(".transfer-notice")).to_be_visible()
    audit.check(phone, "customer waiting in a queue")
    audit.assert_no_serious()


@pytest.mark.e2e
@pytest.mark.parametrize("locale", LOCALES)
def test_rep_customer_and_assistant_pages(live_server, open_page, audit, locale):
    """Ge support, the dashboard alone and with a customer, its invite and
    transfer dialogs, the customer's page, an assistant's dashboard, the end."""
    base = live_server.base_url
    make_staff(
        live_server,
        locale,
        ("rut@example.com", "Rut Rep", "rep"),
        ("helge@example.com", "Helge Hjälp", "rep"),
    )
    rut = open_page(locale)
    log_in(rut, base, "rut@example.com")
    audit.check(rut, "provide support")
    rut.locator("form[action$='/support/start'] button").click()  # Email checked: invite at once
    dialog = rut.locator("dialog[open]")
    expect(dialog).to_be_visible()
    connected(rut)
    audit.check(rut, "invite dialog")
    dialog.locator("#email").fill("kund@")
    dialog.locator("button.primary").click()
    expect(dialog.locator("#email")).to_have_attribute("aria-invalid", "true")
    audit.check(rut, "invite dialog, error")
    dialog.locator("#email").fill("kund@example.com")
    dialog.locator("button.primary").click()
    expect(dialog.locator("#open-invitations li")).to_have_count(1)
    audit.check(rut, "invite dialog, sent")
    close_dialog(rut)
    audit.check(rut, "dashboard, tools tab")
    rut.locator("#tab-session").click()
    audit.check(rut, "dashboard alone")
    open_transfer_menu(rut)
    audit.check(rut, "transfer menu without an assistant")
    rut.keyboard.press("Escape")
    number = rut.locator("[data-session-number]").get_attribute("data-session-number")

    kim = open_page(locale, PHONE)
    join(kim, base, number, "Kim")
    expect(rut.locator("#participants")).to_contain_text("Kim")
    rut.locator("#chat-message").fill("Hej Kim")
    rut.locator("#chat-message").press("Enter")
    expect(kim.locator("#chat-log")).to_contain_text("Hej Kim")
    kim.locator("#file-input").set_input_files(
        files=[{"name": "kvitto.txt", "mimeType": "text/plain", "buffer": b"kvitto"}]
    )
    kim.locator(".file-form button.primary").click()
    expect(rut.locator("#file-list")).to_contain_text("kvitto.txt")
    rut.locator("#media-controls [data-media=video]").click()
    wait_decoded(kim, "video", me(rut))
    audit.check(kim, "customer's session page")
    audit.check(rut, "dashboard with a customer")

    helge = open_page(locale)
    log_in(helge, base, "helge@example.com")
    helge.locator("#number").fill(number)
    helge.locator("form[action$='/support/assist'] button").click()
    connected(helge)
    audit.check(helge, "assistant's dashboard")
    expect(rut.locator("#participants")).to_contain_text("Helge")
    open_transfer_menu(rut)
    audit.check(rut, "transfer menu")
    open_dialog(rut, "#transfer-menu .menu-items button")
    audit.check(rut, "transfer control dialog")
    close_dialog(rut)

    rut.on("dialog", lambda confirm: confirm.accept())
    rut.locator("#tab-session").click()
    rut.locator("#session-actions button.danger").click()
    expect(kim.locator(".session-page.ended")).to_be_visible()
    audit.check(kim, "customer, session ended")
    expect(helge.locator(".session-page.ended")).to_be_visible()
    audit.check(helge, "assistant, session ended")
    rut.goto(base + "/support/")
    rut.locator("a[href$='/record']").first.click()
    audit.check(rut, "ended session's record")
    audit.assert_no_serious()


@pytest.mark.e2e
@pytest.mark.parametrize("locale", LOCALES)
def test_agent_window_and_admin_pages(live_server, open_page, audit, locale):
    """Överför session (Köer, Agenter), Inkommande sessioner empty and with an
    offer, the Flersessionsfönster with its invite, and the admin's pages."""
    base = live_server.base_url
    make_staff(
        live_server,
        locale,
        ("sara@example.com", "Sara Sändare", "agent"),
        ("agnes@example.com", "Agnes Agent", "agent"),
        ("ada@example.com", "Ada Admin", "admin"),
        ("rut@example.com", "Rut Rep", "rep"),
    )
    with live_server.app_context():
        queues.create_queue("Första linjen", ["agnes@example.com"])
        db.session.remove()

    agnes = open_page(locale)
    log_in(agnes, base, "agnes@example.com")
    agnes.goto(base + "/incoming")
    connected(agnes)
    audit.check(agnes, "incoming sessions, empty")

    sara = open_page(locale)
    log_in(sara, base, "sara@example.com")
    number = start_session(sara, base)
    kim = open_page(locale, PHONE)
    join(kim, base, number, "Kim")
    open_transfer_menu(sara)
    dialog = open_dialog(sara, "#transfer-menu .menu-acd")
    audit.check(sara, "transfer session dialog, queues")
    dialog.locator("#acd-tab-agents").click()
    audit.check(sara, "transfer session dialog, agents")
    dialog.locator("#acd-tab-queues").click()
    dialog.locator("input[name=queue_id]").first.check()
    dialog.locator("#acd-message").fill("x" * 346)
    dialog.locator("button.primary").click()
    expect(dialog.locator("#acd-message")).to_have_attribute("aria-invalid", "true")
    audit.check(sara, "transfer session dialog, error")
    dialog.locator("#acd-message").fill("Kunden vill byta abonnemang.")
    dialog.locator("button.primary").click()
    expect(agnes.locator(".offer")).to_have_count(1)
    audit.check(agnes, "incoming sessions with an offer")
    expect(kim.locator(".transfer-notice")).to_be_visible()
    audit.check(kim, "customer, session being transferred")
    agnes.locator(".availability-switch .away").click()
    expect(agnes.locator(".availability-switch .away")).to_have_attribute("aria-pressed", "true")
    audit.check(agnes, "incoming sessions, away")

    rut = open_page(locale)
    log_in(rut, base, "rut@example.com")
    rut.goto(base + "/support/multi/")
    connected(rut)
    audit.check(rut, "multi-session window, no tabs")
    rut.locator(".multi-toolbar button.primary").click()
    frame = rut.frame_locator("iframe.multi-frame:visible")
    expect(frame.locator("dialog[open]")).to_be_visible()
    connected(frame)
    audit.check(rut, "multi-session window, invite dialog")
    frame.locator("dialog[open] [data-close-dialog]").click()
    number = frame.locator("[data-session-number]").get_attribute("data-session-number")
    ola = open_page(locale)
    join(ola, base, number, "Ola")
    expect(rut.locator("#multi-tabs [aria-selected=true]")).to_contain_text("Ola")
    audit.check(rut, "multi-session window with a customer")

    ada = open_page(locale)
    log_in(ada, base, "ada@example.com")
    ada.goto(base + "/admin/settings")
    audit.check(ada, "admin settings")
    ada.goto(base + "/admin/queues/")
    audit.check(ada, "admin queues")
    # Rapporter (#16): charts, tables, and a refused period.
    ada.goto(base + "/reports/")
    expect(ada.locator("svg.bars")).to_have_count(2)
    audit.check(ada, "reports")
    ada.goto(base + "/reports/?from=2026-12-31&to=2026-01-01")
    audit.check(ada, "reports, a period refused")
    # Snabbsvar (#17): the page, with a refused reply, and the chat's list open.
    ada.goto(base + "/support/replies/")
    ada.locator("#reply-name").fill("Hälsning")
    ada.locator("form[action$='/support/replies/'] button.primary").click()
    audit.check(ada, "canned replies, a reply refused")
    ada.locator("#reply-text_sv").fill("Hej {kund}!")
    ada.locator("form[action$='/support/replies/'] button.primary").click()
    audit.check(ada, "canned replies")
    audit.assert_no_serious()
