"""#17 item 4 in Chromium, in Swedish and in English: a closed queue's
request form says when it opens and refuses a request; a waiting customer
sees its place and the estimated wait change live as the one ahead is
taken."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import get_day_names
from playwright.sync_api import expect

from tests.e2e.steps import log_in
from webapp.extensions import db
from webapp.models import Offer, OfferState
from webapp.models.base import utcnow
from webapp.services import business_hours, queues, sessions
from webapp.services.business_hours import DayHours
from webapp.services.users import create_user

WORDS = {
    "sv": {
        "language": "Svenska",
        "queue": "Vad behöver du hjälp med?",
        "name": "Namn",
        "email": "E-postadress",
        "problem": "Vad är problemet?",
        "ask": "Be om hjälp",
        "closed": "Kön Kundtjänst är stängd. Den öppnar {day} 08:00 (tidszon Europe/Stockholm).",
        "second": "Du är nummer 2 i kön. Beräknad väntetid: cirka 4 minuter.",
        "first": "Du är nummer 1 i kön. Beräknad väntetid: cirka 2 minuter.",
    },
    "en": {
        "language": "English",
        "queue": "What do you need help with?",
        "name": "Name",
        "email": "Email address",
        "problem": "What is the problem?",
        "ask": "Request help",
        "closed": "The queue Kundtjänst is closed. It opens {day} 08:00 (Europe/Stockholm time).",
        "second": "You are number 2 in the queue. Estimated wait: about 4 minutes.",
        "first": "You are number 1 in the queue. Estimated wait: about 2 minutes.",
    },
}


def opening_weekday() -> int:
    """Three days from now in Stockholm: never today or tomorrow."""
    return (datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm")).weekday() + 3) % 7


@pytest.fixture
def service_desk(live_server):
    with live_server.app_context():
        create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        queues.create_queue("Kundtjänst", ["agnes@example.com"])
        db.session.remove()
    return live_server


def ask_for_help(page, words, name, queue_label="Kundtjänst"):
    page.get_by_label(words["queue"]).select_option(label=queue_label)
    page.get_by_label(words["name"]).fill(name)
    page.get_by_label(words["email"]).fill(f"{name.lower()}@example.com")
    page.get_by_label(words["problem"]).fill("Skrivaren skriver inte ut.")
    page.get_by_role("button", name=words["ask"]).click()


def open_request_form(page, base, words):
    page.goto(base + "/request")
    if words["language"] != "Svenska":
        page.get_by_role("button", name=words["language"]).click()


@pytest.mark.e2e
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_a_closed_queue_says_when_it_opens(service_desk, new_page, locale):
    words = WORDS[locale]
    with service_desk.app_context():
        business_hours.set_hours(
            queues.get_queue(1), "Europe/Stockholm", {opening_weekday(): DayHours("08:00", "09:00")}
        )
        db.session.remove()
    day = get_day_names("wide", locale=locale)[opening_weekday()]
    closed = words["closed"].format(day=day)
    kim = new_page(width=390, height=844)
    open_request_form(kim, service_desk.base_url, words)
    expect(kim.locator("[data-closed-queue]")).to_have_text(closed)

    ask_for_help(kim, words, "Kim", queue_label=kim.locator("option").first.inner_text())
    expect(kim.locator(".field-error")).to_have_text(closed)
    expect(kim).to_have_url(service_desk.base_url + "/request")


def answered_earlier(server, waits_in_minutes):
    """The queue's recent answers: each waited so long (the median is 2)."""
    with server.app_context():
        queue = queues.get_queue(1)
        agent = queue.members[0]
        support_session = sessions.add_numbered_session(state="ended")
        now = utcnow()
        for minutes in waits_in_minutes:
            db.session.add(
                Offer(
                    support_session_id=support_session.id,
                    agent_id=agent.id,
                    queue_id=queue.id,
                    state=OfferState.ACCEPTED,
                    queued_at=now - timedelta(minutes=minutes),
                    decided_at=now,
                )
            )
        db.session.commit()
        db.session.remove()


@pytest.mark.e2e
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_a_waiting_customer_sees_place_and_estimate_move_live(service_desk, new_page, locale):
    words, base = WORDS[locale], service_desk.base_url
    answered_earlier(service_desk, [1, 2, 2, 2, 3])
    agnes = new_page()
    log_in(agnes, base, "agnes@example.com")
    agnes.goto(base + "/incoming")
    expect(agnes.locator("[data-connection]")).to_have_attribute("data-connection", "open")

    bo = new_page(width=390, height=844)
    open_request_form(bo, base, words)
    ask_for_help(bo, words, "Bo")
    expect(bo.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    kim = new_page(width=390, height=844)
    open_request_form(kim, base, words)
    ask_for_help(kim, words, "Kim")
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    status = kim.locator("#session-status")
    expect(status).to_contain_text(words["second"])

    # Agnes takes Bo, the one ahead: Kim moves up and the estimate with it.
    expect(agnes.locator(".offer")).to_have_count(2)
    with agnes.context.expect_page():
        agnes.locator(".offer", has_text="Bo").get_by_role("button", name="Acceptera").click()
    expect(status).to_contain_text(words["first"])
