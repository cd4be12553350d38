"""How the pages a rep and a customer keep open look (#15 item 2): times in
the viewer's own zone from the first paint, icons beside the words, a dark
theme when the system asks for one, and nothing wider than a phone.

Every run leaves its screenshots in test-artifacts/look/ to be looked at."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import chat_of, join_by_number, log_in, log_in_and_start, make_rut, say
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user

SHOTS = ARTIFACTS / "look"
# Far from UTC all year (+13 in December, +12 in June): a time left in UTC shows.
ZONE = "Pacific/Auckland"
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def clock_now(zone: str, english: bool) -> set[str]:
    """The clock time now in `zone` as the page shows it, and a minute before
    (the line may have been written just before the minute turned)."""
    now = datetime.now(ZoneInfo(zone))
    times = (now, now - timedelta(minutes=1))
    if english:
        return {f"{t:%I:%M %p}".lstrip("0").replace(" ", "\u202f") for t in times} | {
            f"{t:%I:%M %p}".lstrip("0") for t in times
        }
    return {f"{t:%H:%M}" for t in times}


@pytest.mark.e2e
def test_times_are_in_the_viewers_zone_and_language_from_the_first_paint(live_server, browser):
    base = live_server.base_url
    make_rut(live_server)
    context = browser.new_context(timezone_id=ZONE, permissions=["camera", "microphone"])
    rep = context.new_page()
    number = log_in_and_start(rep, base)  # the login page told the server its zone
    say(rep, "Hej från Auckland")
    expect(chat_of(rep)).to_contain_text("Hej från Auckland")
    shown = rep.locator("#chat-log time").last.inner_text()
    assert shown in clock_now(ZONE, english=False), shown

    # The page as the server sends it has the local time already: no UTC
    # flashes before a script runs.
    page_html = rep.request.get(rep.url).text()
    assert any(f"data-zone>{clock}</time>" in page_html for clock in clock_now(ZONE, False))
    rep.get_by_role("button", name="English").click()
    shown = rep.locator("#chat-log time").last.inner_text()
    assert shown in clock_now(ZONE, english=True), shown
    page_html = rep.request.get(rep.url).text()
    assert any(f"data-zone>{clock}</time>" in page_html for clock in clock_now(ZONE, True))
    assert number  # the session is still the one the line was said in
    context.close()


@pytest.mark.e2e
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_rep_and_customer_pages_fit_a_laptop_and_a_phone(live_server, new_page, scheme):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page(width=1366, height=900)
    number = log_in_and_start(rep, base)
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, number, "Kim Kund med ett ganska långt namn")
    say(kim, "Min skrivare skriver ut tomma sidor sedan i morse, vad gör jag?")
    expect(chat_of(rep)).to_contain_text("tomma sidor")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for page in (rep, kim):
        page.emulate_media(color_scheme=scheme)
        # The controls carry an icon and their words, never the icon alone.
        button = page.locator("#media-controls [data-media=voice]")
        expect(button.locator("svg")).to_have_count(1)
        expect(button).to_have_text("Röstsamtal")
    background = rep.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    assert (background == "rgb(18, 25, 32)") == (scheme == "dark"), background

    for language in ("Svenska", "English"):
        for name, page in (("rep", rep), ("customer", kim)):
            page.get_by_role("button", name=language).click()
            expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(
                    path=SHOTS / f"{name}-{language[:2].lower()}-{width}-{scheme}.png",
                    full_page=True,
                )
                assert page.evaluate(OVERFLOW) <= 0, f"{name} {language} {width} px overflows"


PAGES = {
    None: ["/", "/join/", "/request", "/login"],
    "admin@example.com": ["/support/", "/admin/settings", "/admin/queues/", "/support/replies/"],
    "agnes@example.com": ["/incoming", "/support/", "/support/multi/"],
}


@pytest.mark.e2e
def test_every_other_page_fits_a_phone_in_both_languages(live_server, new_page):
    base = live_server.base_url
    with live_server.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", "password123")
        create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        queues.create_queue("Första linjen för fakturor och avtal", ["agnes@example.com"])
        db.session.remove()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for who, paths in PAGES.items():
        page = new_page(width=390, height=844)
        if who:
            log_in(page, base, who)
        for language in ("Svenska", "English"):
            for path in paths:
                page.goto(base + path)
                page.get_by_role("button", name=language).click()
                name = f"{(who or 'anyone').split('@')[0]}{path.replace('/', '-')}"
                page.screenshot(
                    path=SHOTS / f"{name}-{language[:2].lower()}-390.png", full_page=True
                )
                assert page.evaluate(OVERFLOW) <= 0, f"{path} in {language} overflows for {who}"
