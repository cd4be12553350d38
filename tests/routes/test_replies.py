"""Snabbsvar through the pages (#17 item 2), in both languages."""

from tests.factories import make_rep, make_support_session
from tests.helpers import switch_language
from webapp.extensions import db
from webapp.models import CannedReply


def test_a_rep_keeps_replies_and_sees_them_offered_in_the_chat(app, login_as):
    rut = make_rep("Rut")
    support_session, _seat = make_support_session(rut)
    client = login_as(rut)
    page = client.get("/support/replies/")
    assert page.status_code == 200 and "Snabbsvar" in page.text
    assert "Dela med alla" not in page.text  # only an admin shares
    saved = client.post(
        "/support/replies/",
        data={"name": "Hälsning", "text_sv": "Hej {kund}!", "text_en": "Hi {kund}!"},
    )
    assert saved.status_code == 302
    assert "Snabbsvaret Hälsning är sparat." in client.get("/support/replies/").text
    dashboard = client.get(f"/dashboard/{support_session.id}").text
    assert "Skriv / för ett snabbsvar." in dashboard and "data-replies-url" in dashboard
    offered = client.get("/support/replies/choices").json
    assert offered == [{"id": 1, "name": "Hälsning", "sv": "Hej {kund}!", "en": "Hi {kund}!"}]


def test_a_bad_reply_is_shown_at_its_field_in_the_users_language(app, login_as):
    client = login_as(make_rep("Rut"))
    switch_language(client, "en")
    refused = client.post("/support/replies/", data={"name": "Empty", "text_sv": ""})
    assert refused.status_code == 400
    assert "Write the reply in Swedish, English or both." in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert db.session.scalars(db.select(CannedReply)).all() == []


def test_another_users_reply_cannot_be_removed_and_a_customer_never_sees_any(app, login_as, client):
    rut, helge = make_rep("Rut"), make_rep("Helge")
    login_as(rut).post("/support/replies/", data={"name": "Mitt", "text_sv": "Hej"})
    reply = db.session.scalars(db.select(CannedReply)).one()
    other = app.test_client()
    other.post("/login", data={"email": helge.email, "password": "password123"})
    assert other.post(f"/support/replies/{reply.id}/delete").status_code == 404
    assert db.session.get(CannedReply, reply.id) is not None
    assert app.test_client().get("/support/replies/").status_code == 302  # to the login
