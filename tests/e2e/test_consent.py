"""Recording asks the customer first (#16 item 4), in headless Chromium, in
Swedish and English: the customer allows and the recording starts; denies
and the rep is told, nothing recorded; withdraws and it stops on both pages."""

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import join_in, log_in_and_start, make_rut, me, press, wait_decoded

WORDS = {
    "sv": {
        "record": "Inspelning",
        "question": "Supporten vill spela in sessionen",
        "allow": "Tillåt",
        "deny": "Neka",
        "stop": "Återkalla samtycke",
        "waiting": "Väntar på att kunderna tillåter inspelning",
        "denied": "En kund nekade",
        "withdrawn": "En kund återkallade sitt samtycke",
        "recording": "spelar in",
    },
    "en": {
        "record": "Recording",
        "question": "Support wants to record the session",
        "allow": "Allow",
        "deny": "Deny",
        "stop": "Stop recording",
        "waiting": "Waiting for the customers to allow recording",
        "denied": "A customer declined",
        "withdrawn": "A customer withdrew consent",
        "recording": "is recording",
    },
}


def rep_and_kim(live_server, new_page, language, kim_width=1366):
    """Rut (in `language`) shares video; Kim joins in `language`."""
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page(width=1366, height=900)
    number = log_in_and_start(rep, base)
    kim = new_page(width=kim_width, height=900 if kim_width > 400 else 844)
    if language == "en":
        rep.get_by_role("button", name="English").click()
        expect(rep.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    join_in(kim, base, number, "Kim", language)
    press(rep, "Video")
    wait_decoded(kim, "video", me(rep))
    return rep, kim


def recording_on(page):
    return page.locator("#session-status .recording-on")


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"consent-{name}.png", full_page=True)


def shots(page, name):
    """The page at phone width too, then back at laptop width."""
    shot(page, f"{name}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_customer_allows_then_withdraws(live_server, new_page, language):
    words = WORDS[language]
    rep, kim = rep_and_kim(live_server, new_page, language, kim_width=390)
    press(rep, words["record"])
    prompt = kim.get_by_role("region", name=words["question"])
    expect(prompt).to_be_visible()
    expect(rep.locator(".consent-card")).to_contain_text(words["waiting"])
    expect(recording_on(rep)).to_have_count(0)  # nothing records while Kim decides
    shot(kim, f"prompt-{language}-390")
    shots(rep, f"rep-waiting-{language}")

    prompt.get_by_role("button", name=words["allow"]).click()
    for page in (rep, kim):
        expect(recording_on(page)).to_contain_text(words["recording"])
    expect(rep.locator("#recordings a")).to_have_count(1, timeout=10000)  # a part is stored
    shot(kim, f"recording-{language}-390")

    kim.get_by_role("button", name=words["stop"]).click()
    for page in (rep, kim):
        expect(recording_on(page)).to_have_count(0)
    expect(rep.locator(".consent-card")).to_contain_text(words["withdrawn"])
    expect(rep.locator("#media-controls [data-record]")).to_have_attribute("aria-pressed", "false")
    expect(kim.get_by_role("button", name=words["stop"])).to_have_count(0)


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_customer_denies_and_nothing_is_recorded(live_server, new_page, language):
    words = WORDS[language]
    rep, kim = rep_and_kim(live_server, new_page, language)
    press(rep, words["record"])
    prompt = kim.get_by_role("region", name=words["question"])
    shot(kim, f"prompt-{language}-1366")
    prompt.get_by_role("button", name=words["deny"]).click()
    expect(prompt).to_have_count(0)
    expect(rep.locator(".consent-card")).to_contain_text(words["denied"])
    expect(rep.locator("#media-message")).to_contain_text(words["denied"])
    expect(rep.locator("#media-controls [data-record]")).to_have_attribute("aria-pressed", "false")
    rep.wait_for_timeout(1000)
    for page in (rep, kim):
        expect(recording_on(page)).to_have_count(0)
    expect(rep.locator("#recordings a")).to_have_count(0)
