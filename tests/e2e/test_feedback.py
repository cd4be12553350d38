"""The customer's end page (#16 item 4), in headless Chromium, in Swedish and
English: a rating that the rep then sees on the session's history page, a
bad one refused first, and a receipt that reaches the SMTP server in the
customer's language."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import join_in, log_in_and_start, make_rut, shown

WORDS = {
    "sv": {
        "end": "Avsluta session",
        "ended": "Sessionen har avslutats",
        "heading": "Hur gick det?",
        "send": "Skicka betyg",
        "no_score": "Välj ett betyg från 1 till 5.",
        "thanks": "Tack för ditt betyg.",
        "email": "E-postadress",
        "receipt": "Skicka kvitto till mig",
        "on_its_way": "Ett kvitto är på väg till kim@example.com.",
        "subject": "Kvitto för supportsession",
        "helped_by": "Hjälpt av: Rut Rep",
        "rating": "Kundens betyg",
        "score": "4 av 5",
    },
    "en": {
        "end": "End Session",
        "ended": "The session has ended",
        "heading": "How did we do?",
        "send": "Send rating",
        "no_score": "Choose a rating from 1 to 5.",
        "thanks": "Thank you for your rating.",
        "email": "Email address",
        "receipt": "Email me a receipt",
        "on_its_way": "A receipt is on its way to kim@example.com.",
        "subject": "Receipt for support session",
        "helped_by": "Helped by: Rut Rep",
        "rating": "Customer rating",
        "score": "4 of 5",
    },
}


def shots(page, name):
    """The page at laptop and at phone width."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=ARTIFACTS / f"feedback-{name}-{width}.png", full_page=True)


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_customer_rates_and_gets_a_receipt(live_server, new_page, language):
    words = WORDS[language]
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page(width=1366, height=900)
    number = log_in_and_start(rep, base)
    support_session_id = re.search(r"/dashboard/(\d+)", rep.url)[1]
    kim = new_page(width=1366, height=900)
    if language == "en":
        rep.get_by_role("button", name="English").click()
    join_in(kim, base, number, "Kim", language)

    rep.on("dialog", lambda dialog: dialog.accept())
    rep.get_by_role("button", name=words["end"]).click()
    expect(shown(kim).get_by_text(words["ended"])).to_be_visible()
    rating = kim.get_by_role("group", name=re.compile(r"\b1\b.*\b5\b"))
    expect(kim.get_by_role("heading", name=words["heading"])).to_be_visible()
    shots(kim, f"end-page-{language}")

    kim.get_by_role("button", name=words["send"]).click()  # no score chosen
    expect(kim.locator("#score-error")).to_have_text(words["no_score"])
    rating.get_by_role("radio", name=re.compile(r"^4")).check()
    kim.get_by_label(re.compile("Kommentar|Comment")).fill("Rut fixade skrivaren på fem minuter.")
    kim.get_by_role("button", name=words["send"]).click()
    expect(kim.get_by_role("status").filter(has_text=words["thanks"])).to_be_visible()
    expect(kim.locator("#score-error")).to_have_count(0)

    kim.get_by_label(words["email"]).fill("kim@example.com")
    kim.get_by_role("button", name=words["receipt"]).click()
    expect(kim.get_by_text(words["on_its_way"])).to_be_visible()
    shots(kim, f"end-page-done-{language}")
    [mail] = live_server.inbox.wait_for(1, timeout=15)
    assert mail["To"] == "kim@example.com" and mail["Subject"].startswith(words["subject"])
    assert words["helped_by"] in mail.get_content()

    rep.goto(f"{base}/history/{support_session_id}")
    ratings = rep.get_by_role("region", name=words["rating"])
    expect(ratings).to_contain_text(words["score"])
    expect(ratings).to_contain_text("Rut fixade skrivaren på fem minuter.")
    shots(rep, f"history-{language}")
