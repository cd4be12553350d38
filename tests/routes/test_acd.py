"""WebACD through the test client: who may see what, refusals as clear
messages (never a 500), and the pages in both languages (R6, #8)."""

import pytest
import sqlalchemy as sa

from tests.factories import make_customer, make_rep, make_support_session
from tests.helpers import switch_language
from webapp.extensions import db
from webapp.models import Offer, Participant, SessionState, SupportSession
from webapp.services import acd, acd_transfer, queues

HX = {"HX-Request": "true"}


@pytest.fixture
def setup(app):
    sender = make_rep("Sara Sändare", role="agent")
    receiver = make_rep("Agnes Agent", role="agent")
    queue = queues.create_queue("Första linjen", [receiver.email])
    support_session, seat = make_support_session(sender)
    make_customer(support_session, "Kim Kund")
    return sender, receiver, queue, support_session, seat


def transfer(client, support_session, **form):
    return client.post(f"/dashboard/{support_session.id}/transfer-session", data=form, headers=HX)


def test_only_an_agent_in_control_sees_transfer_session(app, client, login_as, setup):
    sender, _, _, support_session, _ = setup
    login_as(sender)
    page = client.get(f"/dashboard/{support_session.id}").text
    assert "transfer-session" in page
    rep_session, _ = make_support_session(rep := make_rep(role="rep"))
    client.post("/logout")
    login_as(rep)
    assert "transfer-session" not in client.get(f"/dashboard/{rep_session.id}").text
    response = client.get(f"/dashboard/{rep_session.id}/transfer-session", headers=HX)
    assert response.status_code == 403
    assert "WebACD" in response.text


def test_dialog_has_queues_and_agents_tabs(client, login_as, setup):
    sender, *_, support_session, _ = setup
    login_as(sender)
    switch_language(client, "en")
    page = client.get(f"/dashboard/{support_session.id}/transfer-session", headers=HX).text
    for words in ("Queues", "Agents", "Personal message", "Första linjen", "Agnes Agent"):
        assert words in page


def test_transfer_to_queue_redirects_the_rep_and_offers(client, login_as, setup):
    sender, receiver, queue, support_session, _ = setup
    login_as(sender)
    response = transfer(client, support_session, target="queue", queue_id=queue.id, message="Hej")
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/support/"
    assert db.session.get(SupportSession, support_session.id).state == SessionState.QUEUED
    assert [o.agent_id for o in db.session.scalars(sa.select(Offer))] == [receiver.id]


def test_346_characters_are_refused_and_nothing_changes(client, login_as, setup):
    sender, _, queue, support_session, _ = setup
    login_as(sender)
    switch_language(client, "en")
    response = transfer(
        client, support_session, target="queue", queue_id=queue.id, message="x" * 346
    )
    assert response.status_code == 400
    assert "at most 345 characters" in response.text
    assert 'id="acd-transfer-form"' in response.text  # the form again, with the text kept
    assert db.session.get(SupportSession, support_session.id).state == SessionState.ACTIVE
    assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0


@pytest.mark.parametrize(
    "form, words",
    [
        ({"target": "queue", "queue_id": "999"}, "Choose a queue."),
        ({"target": "queue", "queue_id": "abc"}, "Choose a queue."),
        ({"target": "agents"}, "Choose at least one agent."),
        ({"target": "agents", "agent_id": "999"}, "Choose agents from the list."),
    ],
)
def test_bad_input_is_refused_clearly(client, login_as, setup, form, words):
    sender, *_, support_session, _ = setup
    login_as(sender)
    switch_language(client, "en")
    response = transfer(client, support_session, **form)
    assert response.status_code == 400
    assert words in response.text


def test_an_empty_queue_is_refused(client, login_as, setup):
    sender, *_, support_session, _ = setup
    empty = queues.create_queue("Tom")
    login_as(sender)
    switch_language(client, "en")
    response = transfer(client, support_session, target="queue", queue_id=empty.id)
    assert response.status_code == 409
    assert "has no agents" in response.text


def test_inbox_lists_the_offer_and_accept_opens_the_dashboard(client, login_as, setup):
    _sender, receiver, queue, support_session, seat = setup
    acd_transfer.transfer_to_queue(seat, queue.id, "Kunden vill byta plan")
    login_as(receiver)
    page = client.get("/incoming").text
    assert "Inkommande sessioner" in page or "Incoming sessions" in page
    assert "Kim Kund" in page and "Kunden vill byta plan" in page
    assert "plats för 1 till" in page  # the offer holds a place until answered (#13)
    offer = db.session.scalar(sa.select(Offer))
    response = client.post(f"/incoming/offers/{offer.id}/accept", headers=HX)
    assert response.headers["HX-Redirect"] == f"/dashboard/{support_session.id}"
    assert client.get(f"/dashboard/{support_session.id}").status_code == 200
    again = client.post(f"/incoming/offers/{offer.id}/accept", headers=HX)
    assert again.status_code == 409


def test_the_inbox_says_how_much_room_is_left_in_both_languages(client, login_as, setup):
    _sender, receiver, queue, _support_session, seat = setup
    login_as(receiver)
    assert "Sessioner nu: 0 av 2; plats för 2 till." in client.get("/incoming").text
    acd_transfer.transfer_to_queue(seat, queue.id, None)
    switch_language(client, "en")
    assert "Sessions now: 0 of 2; room for 1 more." in client.get("/incoming").text


def test_a_customer_not_on_the_page_when_the_session_starts_waiting_is_expected(
    app, client, login_as, setup
):
    """#13 item 3: after a transfer or a request, a customer whose page is not
    open is treated like one whose page closed: presence expects its socket,
    and its place is held for the queue's grace from then."""
    sender, _receiver, queue, support_session, _seat = setup
    deadlines = app.extensions["live"].presence._deadlines
    login_as(sender)
    transfer(client, support_session, target="queue", queue_id=queue.id)
    kim = next(p for p in support_session.participants if p.role == "customer")
    assert kim.id in deadlines
    client.post("/logout")
    client.post(
        "/request",
        data={"queue": queue.id, "name": "Ola", "email": "ola@example.com", "problem": "Hjälp"},
    )
    ola = db.session.scalar(sa.select(Participant).where(Participant.name == "Ola"))
    assert ola.id in deadlines


def test_inbox_and_availability_are_for_agents_only(client, login_as):
    login_as(make_rep(role="rep"))
    assert client.get("/incoming").status_code == 403
    assert client.post("/incoming/availability", data={"available": "0"}).status_code == 403


def test_availability_toggle(client, login_as, setup):
    _, receiver, *_ = setup
    login_as(receiver)
    switch_language(client, "en")
    response = client.post("/incoming/availability", data={"available": "0"}, headers=HX)
    assert response.status_code == 200
    assert 'class="away"' in response.text and "while you are away" in response.text
    db.session.refresh(receiver)
    assert receiver.available is False


def test_request_form_puts_the_customer_in_the_queue(client, setup):
    _, receiver, queue, *_ = setup
    page = client.get("/request")
    assert page.status_code == 200 and "Första linjen" in page.text
    assert 'aria-invalid="None"' not in page.text  # axe: an invalid ARIA value (#15)
    response = client.post(
        "/request",
        data={"queue": queue.id, "name": "Kim", "email": "kim@example.com", "problem": "Hjälp"},
    )
    assert response.status_code == 302
    customer_page = client.get(response.location)
    assert customer_page.status_code == 200
    assert "Du väntar på en supportagent" in customer_page.text  # a first request, not a transfer
    assert acd.pending_offers_of(receiver)


def test_request_form_refuses_bad_input(client, setup):
    _, _, queue, *_ = setup
    switch_language(client, "en")
    response = client.post(
        "/request", data={"queue": queue.id, "name": "Kim", "email": "nope", "problem": "x"}
    )
    assert response.status_code == 400 and "valid email" in response.text
    response = client.post(
        "/request",
        data={"queue": queue.id, "name": "Kim", "email": "k@example.com", "problem": "x" * 346},
    )
    assert response.status_code == 400 and "at most 345" in response.text
    assert 'id="problem"' in response.text and 'aria-invalid="true"' in response.text


def test_admin_queue_page(client, login_as, setup):
    _, receiver, queue, *_ = setup
    admin = make_rep("Alva Admin", role="admin")
    login_as(admin)
    switch_language(client, "en")
    page = client.get("/admin/queues/").text
    assert "Första linjen" in page and "Agnes Agent" in page
    assert client.post("/admin/queues/", data={"name": "Fakturor"}).status_code == 302
    duplicate = client.post("/admin/queues/", data={"name": "Fakturor"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    response = client.post(f"/admin/queues/agents/{receiver.id}/capacity", data={"capacity": "0"})
    assert response.status_code == 400
    client.post(f"/admin/queues/agents/{receiver.id}/capacity", data={"capacity": "3"})
    db.session.refresh(receiver)
    assert receiver.acd_capacity == 3
    client.post(f"/admin/queues/{queue.id}/agents/{receiver.id}/remove")
    db.session.refresh(queue)
    assert queue.members == []


def test_admin_renames_a_queue_and_a_taken_or_empty_name_changes_nothing(client, login_as, setup):
    _, _, queue, *_ = setup
    login_as(make_rep("Alva Admin", role="admin"))
    url = f"/admin/queues/{queue.id}/name"
    response = client.post(url, data={"name": "  Andra   linjen "})
    assert response.status_code == 302
    assert "Kön heter nu Andra linjen." in client.get("/admin/queues/").text
    client.post("/admin/queues/", data={"name": "Fakturor"})
    for name, status, words in (("Fakturor", 409, "finns redan"), ("   ", 400, "namn")):
        refused = client.post(url, data={"name": name})
        assert refused.status_code == status and words in refused.text
        db.session.refresh(queue)
        assert queue.name == "Andra linjen"
    assert client.post(url, data={"name": "Andra linjen"}).status_code == 302  # its own name
    assert client.post("/admin/queues/999999/name", data={"name": "X"}).status_code == 404


def test_admin_queue_page_is_for_admins(client, login_as):
    assert client.get("/admin/queues/").status_code == 302  # to the login
    login_as(make_rep(role="agent"))
    assert client.get("/admin/queues/").status_code == 403


def test_cli_creates_a_queue(app, setup):
    _, receiver, *_ = setup
    runner = app.test_cli_runner()
    result = runner.invoke(args=["queue", "create", "Fakturor", "--agent", receiver.email])
    assert result.exit_code == 0, result.output
    assert "Fakturor" in result.output
    result = runner.invoke(args=["queue", "create", "X", "--agent", "nobody@example.com"])
    assert result.exit_code != 0 and "inte en WebACD-agent" in result.output
