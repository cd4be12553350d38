"""Anteckningar (#16 item 1): staff write notes during or after a session;
a customer never sees them; the agent a session is offered to reads them
beside the transfer message; a bad note changes nothing."""

import pytest

from tests.factories import make_customer, make_rep, make_support_session
from tests.helpers import join, switch_language
from webapp.services import acd_transfer, queues, sessions

HX = {"HX-Request": "true"}


def logged_in(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"email": user.email, "password": "password123"}).status_code
        == 302
    )
    return client


def add_note(client, support_session, body):
    return client.post(f"/history/{support_session.id}/notes", data={"body": body}, headers=HX)


@pytest.fixture
def transferred(app):
    sara = make_rep("Sara Sändare", role="agent")
    agnes = make_rep("Agnes Agent", role="agent")
    queue = queues.create_queue("Första linjen", [agnes.email])
    support_session, seat = make_support_session(sara)
    make_customer(support_session, "Kim Kund")
    return sara, agnes, queue, support_session, seat


def test_a_note_written_during_the_session_reaches_the_agent_offered_it(app, transferred):
    sara, agnes, queue, support_session, seat = transferred
    sara_client = logged_in(app, sara)
    dashboard = sara_client.get(f"/dashboard/{support_session.id}").text
    assert f"/history/{support_session.id}/notes" in dashboard  # the card loads after the page
    added = add_note(sara_client, support_session, "Kunden har två skrivare.\nDen ena är trasig.")
    assert added.status_code == 200
    assert "Anteckningen har lagts till." in added.text
    assert (
        "Kunden har två skrivare.\nDen ena är trasig." in added.text
        and "Sara Sändare" in added.text
    )

    agnes_client = logged_in(app, agnes)
    # Before the offer, Agnes took no part: the notes are not there for her.
    assert agnes_client.get(f"/history/{support_session.id}/notes").status_code == 404
    acd_transfer.transfer_to_queue(seat, queue.id, "Kunden vill byta plan")
    inbox = agnes_client.get("/incoming").text
    assert "Kunden vill byta plan" in inbox
    assert "Anteckningar (1)" in inbox and "Den ena är trasig." in inbox
    # She reads them but, not having taken part yet, writes none.
    panel = agnes_client.get(f"/history/{support_session.id}/notes").text
    assert "Den ena är trasig." in panel and "Lägg till anteckning" not in panel
    assert add_note(agnes_client, support_session, "Jag tar den").status_code == 404
    switch_language(agnes_client, "en")
    assert "Notes (1)" in agnes_client.get("/incoming").text


def test_a_note_after_the_session_shows_on_its_history_page(app):
    rut = make_rep("Rut Rep")
    support_session, seat = make_support_session(rut)
    make_customer(support_session)
    sessions.end_session(seat)
    client = logged_in(app, rut)
    response = client.post(
        f"/history/{support_session.id}/notes", data={"body": "Återkom på fredag."}
    )
    assert response.status_code == 302  # without htmx, back to the session's page
    page = client.get(f"/history/{support_session.id}").text
    assert "Anteckningar" in page and "Återkom på fredag." in page
    switch_language(client, "en")
    page = client.get(f"/history/{support_session.id}").text
    assert "Notes" in page and "Add note" in page and "Only staff see notes." in page


def test_a_customer_never_sees_a_note(app, client):
    rut = make_rep("Rut Rep")
    support_session, _seat = make_support_session(rut)
    rut_client = logged_in(app, rut)
    add_note(rut_client, support_session, "Kunden verkar stressad.")
    page = join(client, support_session.number).text
    assert "Kunden verkar stressad." not in page and "Anteckningar" not in page
    # A customer has no login: the notes' URLs send them to log in.
    assert client.get(f"/history/{support_session.id}/notes").status_code == 302
    assert add_note(client, support_session, "Hej").status_code in (302, 401)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Skriv anteckningen först."),
        ("   \n ", "Skriv anteckningen först."),
        ("x" * 1001, "En anteckning får vara högst 1000 tecken."),
    ],
)
def test_a_bad_note_is_refused_and_changes_nothing(app, body, message):
    rut = make_rep("Rut Rep")
    support_session, _seat = make_support_session(rut)
    client = logged_in(app, rut)
    refused = add_note(client, support_session, body)
    assert refused.status_code == 400
    assert message in refused.text and 'aria-invalid="true"' in refused.text
    assert "(0)" in client.get(f"/history/{support_session.id}/notes").text


def test_a_note_of_exactly_1000_characters_is_kept(app):
    rut = make_rep("Rut Rep")
    support_session, _seat = make_support_session(rut)
    client = logged_in(app, rut)
    assert add_note(client, support_session, "y" * 1000).status_code == 200
    assert "y" * 1000 in client.get(f"/history/{support_session.id}").text


def test_another_reps_session_has_no_notes_for_you(app):
    rut, helge = make_rep("Rut Rep"), make_rep("Helge Hjälpare")
    support_session, _seat = make_support_session(helge)
    add_note(logged_in(app, helge), support_session, "Bara för Helge.")
    rut_client = logged_in(app, rut)
    assert rut_client.get(f"/history/{support_session.id}/notes").status_code == 404
    assert add_note(rut_client, support_session, "Intrång").status_code == 404
    assert "Intrång" not in logged_in(app, helge).get(f"/history/{support_session.id}").text
    supervisor = logged_in(app, make_rep("Siv Supervisor", role="supervisor"))
    assert "Bara för Helge." in supervisor.get(f"/history/{support_session.id}/notes").text
