"""Rapporter in the browser (#16 item 2): a supervisor reads the charts and
tables in Swedish and English, at laptop and phone width, and downloads a
report and the history search as CSV."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import log_in
from tests.factories import offers_of
from webapp.extensions import db
from webapp.services import acd, acd_transfer, queues, sessions
from webapp.services.users import create_user

SHOTS = Path("/tmp/shots-reports")


def a_day_of_work(live_server) -> None:
    """Two requests in Kö Skrivare today: one taken and ended, one abandoned."""
    with live_server.app_context():
        create_user("siv@example.com", "Siv Supervisor", "supervisor", "password123")
        anna = create_user("anna@example.com", "Anna Agent", "agent", "password123")
        queue = queues.create_queue("Kö Skrivare", ["anna@example.com"])
        acd_transfer.request_help(queue.id, "Åsa Öberg", "asa@example.se", "Skrivaren blinkar.")
        support_session = acd.accept_offer(anna, offers_of(anna)[0].id)
        sessions.end_session(support_session.controller)
        customer, _secret = acd_transfer.request_help(
            queue.id, "Kim Kund", "kim@example.se", "Inget nät."
        )
        sessions.leave(customer)
        db.session.remove()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)
    shutil.copy(ARTIFACTS / name, SHOTS / name)


def downloaded_header(page, section: str) -> str:
    with page.expect_download() as waiting:
        page.locator(f"section[aria-labelledby='{section}-heading'] a[download]").click()
    download = waiting.value
    assert download.suggested_filename.startswith(f"report-{section}-")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Swedish letters as UTF-8
    return text.lstrip("\ufeff").splitlines()[0]


def fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"


@pytest.mark.e2e
def test_a_supervisor_reads_the_reports_and_downloads_them(live_server, new_page):
    base = live_server.base_url
    a_day_of_work(live_server)
    page = new_page(width=1366, height=900)
    log_in(page, base, "siv@example.com")
    page.get_by_role("link", name="Rapporter").click()
    expect(page.get_by_role("heading", name="Rapporter", exact=True)).to_be_visible()
    sessions_chart = page.get_by_role("img", name="Sessioner per dag")
    expect(sessions_chart).to_be_visible()
    expect(sessions_chart.locator("rect.bar")).to_have_count(1)  # today's two sessions
    queue_row = page.locator("#queues-table tbody tr")
    expect(queue_row).to_have_count(1)
    # Sessions, requests, answered, abandoned.
    expect(queue_row.locator("td").nth(0)).to_have_text("2")
    expect(queue_row.locator("td").nth(3)).to_have_text("1")
    expect(page.locator("#agents-table")).to_contain_text("Anna Agent")
    expect(page.locator("#days-table caption")).to_contain_text(
        "Sessioner och tid till svar per dag"
    )
    assert downloaded_header(page, "queues").startswith("Kö,Sessioner,Förfrågningar,Besvarade")
    shoot(page, "reports-sv-1366.png")
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    shoot(page, "reports-sv-390.png")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Sessions per day").locator("rect.bar")).to_have_count(1)
    fits(page)
    shoot(page, "reports-en-390.png")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert downloaded_header(page, "agents") == (
        "Agent,Sessions,Answered,Transfers,"
        '"Time to answer, median (s)","Time to answer, 90th percentile (s)",'
        '"Handle time, median (s)","Handle time, 90th percentile (s)",Rating (1-5),Rated'
    )
    shoot(page, "reports-en-1366.png")

    page.get_by_role("link", name="Session history").click()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    rows = Path(waiting.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("Session number,Started (UTC)") and len(rows) == 3
    shoot(page, "history-csv-en-1366.png")
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    shoot(page, "history-csv-en-390.png")


@pytest.mark.e2e
def test_a_bad_period_is_said_on_the_page(live_server, new_page):
    base = live_server.base_url
    a_day_of_work(live_server)
    page = new_page(width=390, height=844)
    log_in(page, base, "siv@example.com")
    page.goto(base + "/reports/?from=2026-12-31&to=2026-01-01")
    expect(page.get_by_role("alert")).to_have_text("Det första datumet måste komma före det sista.")
    expect(page.locator("#report-to")).to_have_attribute("aria-invalid", "true")
    shoot(page, "reports-error-sv-390.png")
