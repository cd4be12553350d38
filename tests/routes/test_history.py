"""Sessionshistorik (#16 item 1) through the pages: who sees which sessions,
the filters, a session's page, and every bad input a clear 400 or 404."""

from datetime import timedelta

import pytest

from tests.factories import make_customer, make_rep, make_support_session
from webapp.extensions import db
from webapp.models.reasons import EndReason
from webapp.services import chat, queues, sessions
from webapp.web import END_REASON_NAMES


def other_client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": "password123"})
    assert response.status_code == 302
    return client


@pytest.fixture
def three_sessions(app):
    rut, helge = make_rep("Rut Rep"), make_rep("Helge Hjälpare")
    first, rut_seat = make_support_session(rut)
    kim = make_customer(first, "Kim Kund")
    chat.post_message(kim, "Skrivaren skriver inte ut.")
    sessions.end_session(rut_seat)
    second, _ = make_support_session(rut)
    make_customer(second, "Ola Olsson")
    third, _ = make_support_session(helge)
    make_customer(third, "Per Persson")
    first.created_at -= timedelta(days=10)
    db.session.commit()
    return rut, helge, first, second, third


def test_a_rep_finds_the_sessions_they_took_part_in(app, three_sessions):
    rut, _helge, first, second, third = three_sessions
    client = other_client(app, rut)
    page = client.get("/history/").text
    assert first.grouped_number in page and second.grouped_number in page
    assert third.grouped_number not in page
    assert "Sessionshistorik" in page and "(2)" in page
    by_customer = client.get("/history/", query_string={"customer": "kim"}).text
    assert first.grouped_number in by_customer and second.grouped_number not in by_customer
    by_number = client.get("/history/", query_string={"number": second.grouped_number}).text
    assert second.grouped_number in by_number and first.grouped_number not in by_number
    since = (first.created_at + timedelta(days=1)).date().isoformat()
    recent = client.get("/history/", query_string={"from": since}).text
    assert second.grouped_number in recent and first.grouped_number not in recent
    # The session's page: timeline, transcript, verified chain.
    shown = client.get(f"/history/{first.id}").text
    assert "Rut Rep startade sessionen" in shown and "Kim Kund anslöt" in shown
    assert "Skrivaren skriver inte ut." in shown and "Verifierad" in shown
    # Another rep's session is not there for Rut, by any path.
    assert client.get(f"/history/{third.id}").status_code == 404


def test_an_admin_and_a_supervisor_see_every_session(app, three_sessions):
    *_people, first, _second, third = three_sessions
    for role in ("admin", "supervisor"):
        client = other_client(app, make_rep(f"Boss {role}", role))
        page = client.get("/history/", query_string={"staff": "helge"}).text
        assert third.grouped_number in page and first.grouped_number not in page
        assert client.get(f"/history/{first.id}").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from": "3 december"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"to": "2026-13-45"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"from": "2026-12-03", "to": "2026-12-01"}, "Det första datumet måste komma före"),
        ({"queue": "999"}, "Det finns ingen sådan kö."),
        ({"queue": "x"}, "Det finns ingen sådan kö."),
        ({"page": "99"}, "Den sidan av resultatet finns inte."),
        ({"page": "-1"}, "Den sidan av resultatet finns inte."),
        ({"number": "abc"}, "Ett sessionsnummer består bara av siffror."),
    ],
)
def test_a_bad_search_is_a_clear_400(app, three_sessions, args, message):
    client = other_client(app, three_sessions[0])
    response = client.get("/history/", query_string=args)
    assert response.status_code == 400 and message in response.text


def test_a_queue_filter_and_english(app, three_sessions):
    rut, *_ = three_sessions
    queue = queues.create_queue("Fakturor")
    client = other_client(app, rut)
    client.post("/language", data={"locale": "en", "next": "/history/"})
    page = client.get("/history/", query_string={"queue": str(queue.id)}).text
    assert "Session history" in page and "No sessions match the search." in page


def test_anonymous_visitors_are_sent_to_the_login(app, client):
    assert client.get("/history/").status_code == 302


def test_a_percent_or_underscore_in_a_search_is_a_letter_not_a_wildcard(app, three_sessions):
    rut, _helge, first, second, _third = three_sessions
    make_customer(second, "Anna_100%")
    client = other_client(app, rut)
    for text in ("_", "100%", "a_1"):
        found = client.get("/history/", query_string={"customer": text}).text
        assert second.grouped_number in found and first.grouped_number not in found, text
    assert "Inga sessioner" in client.get("/history/", query_string={"customer": "%%"}).text


def test_an_activitys_end_reason_is_said_in_words(app, three_sessions):
    """The history's activities said `session_ended`, the code the database
    keeps, on a Swedish page and an English one alike."""
    rut, _, first, _, _ = three_sessions
    client = other_client(app, rut)
    page = client.get(f"/history/{first.id}").text
    assert "<td>Sessionen avslutades</td>" in page and "session_ended" not in page
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get(f"/history/{first.id}").text
    assert "<td>The session ended</td>" in page and "session_ended" not in page


def test_every_end_reason_has_words():
    assert set(END_REASON_NAMES) == set(EndReason)
