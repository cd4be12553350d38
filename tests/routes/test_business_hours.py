"""Business hours on the admin page, the request form and the transfer
dialog (#17 item 4): bad input is refused clearly and changes nothing; a
closed queue says when it opens and refuses what it cannot take."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_customer, make_rep, make_support_session
from tests.helpers import switch_language
from webapp.extensions import db
from webapp.models import SessionState, SupportSession
from webapp.services import business_hours, queues
from webapp.services.business_hours import DayHours

HX = {"HX-Request": "true"}
SV_DAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def opening_weekday() -> int:
    """A weekday three days from now in Stockholm: never today or tomorrow."""
    return (datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm")).weekday() + 3) % 7


@pytest.fixture
def closed_queue(app):
    agent = make_rep("Agnes Agent", role="agent")
    queue = queues.create_queue("Kundtjänst", [agent.email])
    business_hours.set_hours(
        queue, "Europe/Stockholm", {opening_weekday(): DayHours("08:00", "09:00")}
    )
    return queue


@pytest.fixture
def admin_client(app):
    admin = make_rep("Alva Admin", role="admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": "password123"})
    return client


def hours_form(**fields):
    form = {"time_zone": "Europe/Stockholm"}
    for weekday in range(5):
        form |= {f"opens-{weekday}": "08:00", f"closes-{weekday}": "17:00"}
    return form | fields


def test_the_admin_sets_and_clears_a_queues_hours(app, admin_client):
    queue = queues.create_queue("Q")
    response = admin_client.post(f"/admin/queues/{queue.id}/hours", data=hours_form())
    assert response.status_code == 302
    page = admin_client.get("/admin/queues/").text
    assert "Öppettiderna för Q sparades." in page
    assert 'value="08:00"' in page and "tidszon Europe/Stockholm" in page
    db.session.refresh(queue)
    assert queue.time_zone == "Europe/Stockholm" and len(queue.hours) == 5
    response = admin_client.post(f"/admin/queues/{queue.id}/hours", data={"clear": "1"})
    assert response.status_code == 302
    db.session.refresh(queue)
    assert queue.time_zone is None and queue.hours == []


@pytest.mark.parametrize(
    ("fields", "sv", "en"),
    [
        ({"time_zone": "Mars/Olympus"}, "ingen tidszon vi känner till", "not a time zone we know"),
        (
            {"opens-1": "17:00", "closes-1": "08:00"},
            "Tisdag: kön måste stänga",
            "Tuesday: the queue",
        ),
        ({"opens-2": "8 am"}, "Onsdag: skriv tider som TT:MM", "Wednesday: write times as HH:MM"),
    ],
)
def test_bad_hours_are_refused_in_both_languages_and_change_nothing(
    app, admin_client, fields, sv, en
):
    queue = queues.create_queue("Q")
    url = f"/admin/queues/{queue.id}/hours"
    for locale, words in (("sv", sv), ("en", en)):
        switch_language(admin_client, locale)
        refused = admin_client.post(url, data=hours_form(**fields))
        assert refused.status_code == 400
        assert words in refused.text
        assert '<details class="queue-hours" open>' in refused.text  # the editor stays open
        db.session.refresh(queue)
        assert queue.time_zone is None and queue.hours == []


def test_hours_of_an_unknown_queue_are_404_and_for_admins_only(app, admin_client):
    assert admin_client.post("/admin/queues/999999/hours", data=hours_form()).status_code == 404
    agent = make_rep("Agent", role="agent")
    queue = queues.create_queue("Q", [agent.email])
    other = app.test_client()
    other.post("/login", data={"email": agent.email, "password": "password123"})
    assert other.post(f"/admin/queues/{queue.id}/hours", data=hours_form()).status_code == 403


def test_the_request_form_says_the_queue_is_closed_and_refuses_a_request(app, closed_queue):
    client = app.test_client()
    for locale, days, words in (
        ("sv", SV_DAYS, "Kön Kundtjänst är stängd. Den öppnar {day} 08:00 (tidszon Europe/"),
        ("en", EN_DAYS, "The queue Kundtjänst is closed. It opens {day} 08:00 (Europe/Stock"),
    ):
        switch_language(client, locale)
        expected = words.format(day=days[opening_weekday()])
        page = client.get("/request")
        assert page.status_code == 200 and expected in page.text
        refused = client.post(
            "/request",
            data={
                "queue": closed_queue.id,
                "name": "Kim",
                "email": "k@example.com",
                "problem": "x",
            },
        )
        assert refused.status_code == 409 and expected in refused.text
    assert db.session.query(SupportSession).count() == 0


def test_a_transfer_to_a_closed_queue_is_refused_in_the_dialog(app, closed_queue):
    sender = make_rep("Sara Sändare", role="agent")
    support_session, _seat = make_support_session(sender)
    make_customer(support_session, "Kim Kund")
    client = app.test_client()
    client.post("/login", data={"email": sender.email, "password": "password123"})
    dialog = client.get(f"/dashboard/{support_session.id}/transfer-session", headers=HX)
    assert "stängd" in dialog.text
    refused = client.post(
        f"/dashboard/{support_session.id}/transfer-session",
        data={"target": "queue", "queue_id": closed_queue.id},
        headers=HX,
    )
    assert refused.status_code == 409
    assert f"Den öppnar {SV_DAYS[opening_weekday()]} 08:00" in refused.text
    assert 'id="acd-transfer-form"' in refused.text  # the dialog's form again, not a page
    db.session.refresh(support_session)
    assert support_session.state == SessionState.ACTIVE


def test_a_queue_open_now_takes_requests(app, closed_queue):
    now = datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm"))
    business_hours.set_hours(
        closed_queue, "Europe/Stockholm", {now.weekday(): DayHours("00:00", "24:00")}
    )
    client = app.test_client()
    assert "stängd" not in client.get("/request").text
    response = client.post(
        "/request",
        data={"queue": closed_queue.id, "name": "Kim", "email": "k@example.com", "problem": "x"},
    )
    assert response.status_code == 302
