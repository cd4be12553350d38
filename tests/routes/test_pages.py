"""Routes through the Flask test client: status codes and visible text in both languages."""

import re

import pytest

from tests.conftest import IsolatedClient, make_config
from tests.factories import make_customer, make_rep, make_support_session
from tests.helpers import copy_link, join, send_invite, switch_language
from webapp import create_app
from webapp.extensions import db
from webapp.models import Participant
from webapp.services import sessions

STAFF_URLS = [
    ("get", "/support/"),
    ("post", "/support/start"),
    ("get", "/support/assist"),
    ("get", "/dashboard/{id}"),
    ("get", "/dashboard/{id}/invite"),
    ("post", "/dashboard/{id}/invite"),
    ("post", "/dashboard/{id}/end"),
]


def test_swedish_is_the_default_and_english_sticks(client):
    page = client.get("/").text
    assert "Supportcenter" in page and ">Delta<" in page
    switch_language(client, "en")
    page = client.get("/").text
    assert "Support Center" in page and ">Join<" in page
    assert 'lang="en"' in page


def test_language_switch_refuses_offsite_redirects(client):
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/x"})
    assert response.location == "/"


def test_a_users_language_follows_them_to_another_browser(app, client):
    rep = make_rep()
    client.post("/login", data={"email": rep.email, "password": "password123"})
    switch_language(client, "en")
    other_browser = app.test_client()
    other_browser.post("/login", data={"email": rep.email, "password": "password123"})
    assert "Provide Support" in other_browser.get("/support/").text


def test_wrong_password_is_refused_in_the_visitors_language(client):
    make_rep()
    response = client.post("/login", data={"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 401
    assert "Fel e-post eller lösenord" in response.text


@pytest.mark.parametrize(("method", "url"), STAFF_URLS)
def test_staff_pages_refuse_strangers_and_customers(app, client, method, url):
    support_session, _ = make_support_session()
    join(client, support_session.number)  # the client now holds a customer seat
    response = getattr(client, method)(url.format(id=support_session.id))
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_a_rep_without_a_seat_cannot_open_anothers_dashboard(app, login_as):
    support_session, _ = make_support_session()
    client = login_as(make_rep())
    response = client.get(f"/dashboard/{support_session.id}")
    assert response.status_code == 403
    response = client.post(f"/dashboard/{support_session.id}/end")
    assert response.status_code == 403
    assert support_session.is_open


def test_start_opens_the_dashboard_with_the_invite_dialog(app, login_as):
    client = login_as(make_rep("Rut"))
    response = client.post("/support/start", data={"email": "y"})
    assert re.fullmatch(r"/dashboard/\d+\?invite=1", response.location)
    page = client.get(response.location).text
    assert "CSR-instrumentpanelen" in page
    assert 'id="invite-dialog"' in page and "data-open" in page
    assert ">Session<" in page and ">Verktyg<" in page
    assert "Skicka med mitt eget e-postprogram" in page
    assert re.search(r"\d{3} \d{3} \d{3}", page)


def test_start_without_email_does_not_open_the_dialog(app, login_as):
    client = login_as(make_rep())
    response = client.post("/support/start", data={})
    assert "invite" not in response.location
    assert 'id="invite-dialog"' not in client.get(response.location).text


def test_customer_joins_by_number_and_sees_the_session(app, client):
    support_session, _ = make_support_session(make_rep("Rut"))
    response = join(client, support_session.grouped_number, "Kim")
    assert response.location == f"/join/session/{support_session.id}"
    page = client.get(response.location).text
    assert "Kim" in page and "Rut" in page and "Deltagare" in page
    assert "Styr sessionen" in page and "Inget pågår just nu." in page
    assert "Be om hjälp" not in page  # no links away from the session
    switch_language(client, "en")
    assert "Nothing is running right now." in client.get(response.location).text


def test_a_customer_who_left_gets_the_left_page_not_a_dead_session_page(app, client):
    support_session, _ = make_support_session(make_rep("Rut"))
    page_url = join(client, support_session.grouped_number, "Kim").location
    assert client.post(page_url + "/leave").location == "/join/left"
    back = client.get(page_url)  # the browser's Back button
    assert back.status_code == 302 and back.location == "/join/left"
    assert "Du har lämnat sessionen." in client.get(back.location).text


@pytest.mark.parametrize(
    "locale,text", [("sv", "Det finns ingen öppen"), ("en", "There is no open")]
)
def test_unknown_number_is_a_clear_error_that_changes_nothing(app, client, locale, text):
    switch_language(client, locale)
    before = db.session.query(Participant).count()
    response = join(client, "123456789")
    assert response.status_code == 404
    assert text in response.text
    assert db.session.query(Participant).count() == before


def test_join_attempts_are_rate_limited_per_address():
    app = create_app(make_config(JOIN_RATE_LIMIT="3 per minute"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        client = app.test_client()
        statuses = [join(client, "111111111").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        assert "För många försök" in join(client, "111111111").text
        db.drop_all()


def test_customer_page_needs_the_seat_cookie(app, client):
    support_session, _ = make_support_session()
    make_customer(support_session)
    response = client.get(f"/join/session/{support_session.id}")
    assert response.status_code == 403


def test_invite_dialog_refuses_a_bad_email_and_sends_nothing(app, login_as, outbox):
    support_session, _ = make_support_session()
    client = login_as(support_session.started_by)
    response = send_invite(client, support_session, email="not-an-address")
    assert response.status_code == 400
    assert "Ange en giltig e-postadress" in response.text
    assert 'aria-invalid="true"' in response.text
    assert outbox() == []


def test_invite_by_server_mail_reports_where_it_went(app, login_as, outbox):
    support_session, _ = make_support_session()
    client = login_as(support_session.started_by)
    response = send_invite(client, support_session, email="kund@example.com", locale="en")
    assert response.status_code == 200
    assert "kund@example.com" in response.text
    [mail] = outbox()
    assert "/join/i/" in mail.body and "support session" in mail.body


def test_copy_link_needs_no_email(app, login_as, outbox):
    support_session, _ = make_support_session()
    client = login_as(support_session.started_by)
    response = send_invite(client, support_session, role="rep", email="", copy_link="1")
    assert response.status_code == 200
    assert "/support/i/" in response.text
    assert outbox() == []


def test_customer_link_lands_on_the_name_form_then_the_session(app, login_as):
    support_session, _ = make_support_session()
    rep_client = login_as(support_session.started_by)
    link = copy_link(rep_client, support_session, "customer")
    customer = app.test_client()
    form = customer.get(link)
    assert form.status_code == 200 and "Namn" in form.text
    response = customer.post(link, data={"name": "Kim"})
    assert response.location == f"/join/session/{support_session.id}"
    # Opening the link again in the same browser does not add a second seat.
    assert customer.get(link).status_code == 302
    assert len(support_session.present_participants()) == 2


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/join/i/{bad}", 404, "Länken i inbjudan är inte giltig"),
        ("/join/i/{rep}", 403, "supportrepresentant"),
    ],
)
def test_bad_links_get_a_clear_page(app, login_as, path, status, text):
    support_session, _ = make_support_session()
    rep_client = login_as(support_session.started_by)
    rep_token = copy_link(rep_client, support_session, "rep").rsplit("/", 1)[1]
    response = app.test_client().get(path.format(bad="x" * 32, rep=rep_token))
    assert response.status_code == status
    assert text in response.text


def test_links_stop_working_when_the_session_ends(app, login_as):
    support_session, _rep_seat = make_support_session()
    rep_client = login_as(support_session.started_by)
    link = copy_link(rep_client, support_session, "customer")
    rep_client.post(f"/dashboard/{support_session.id}/end")
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "avslutats" in response.text


def test_every_post_needs_a_csrf_token():
    app = create_app(make_config(WTF_CSRF_ENABLED=True))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        client = app.test_client()
        response = client.post("/join/", data={"number": "123456789", "name": "x"})
        assert response.status_code == 400
        assert "Formuläret har gått ut" in response.text
        db.drop_all()


def test_end_session_redirects_the_rep_and_closes_customer_pages(app, login_as):
    support_session, _ = make_support_session()
    customer_client = app.test_client()
    join(customer_client, support_session.number)
    rep_client = login_as(support_session.started_by)
    response = rep_client.post(
        f"/dashboard/{support_session.id}/end", headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Redirect"] == "/support/"
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Sessionen har avslutats" in page
    assert "ws-connect" not in page


def test_behind_a_trusted_proxy_each_customer_has_its_own_join_limit():
    app = create_app(make_config(JOIN_RATE_LIMIT="2 per minute", TRUSTED_PROXY_HOPS=1))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        client = app.test_client()

        def attempt(address):
            return client.post(
                "/join/",
                data={"number": "111111111", "name": "x"},
                headers={"X-Forwarded-For": address},
            ).status_code

        assert [attempt("203.0.113.7") for _ in range(3)] == [404, 404, 429]
        assert attempt("198.51.100.9") == 404  # another customer behind the same proxy
        db.drop_all()


def test_transfer_control_refusals(app, login_as):
    support_session, _ = make_support_session()
    client = login_as(support_session.started_by)
    url = f"/dashboard/{support_session.id}/transfer-control"
    # No assistant yet: the dialog is not offered.
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 409
    for bad in ("", "abc", "999999"):
        response = client.post(url, data={"participant_id": bad}, headers={"HX-Request": "true"})
        assert response.status_code == 400
        assert "Välj en supportrepresentant" in response.text
    helper = make_rep("Helge")
    sessions.assist(helper, support_session)
    assistant_client = app.test_client()
    assistant_client.post("/login", data={"email": helper.email, "password": "password123"})
    assert assistant_client.get(url).status_code == 403
    response = assistant_client.post(url, data={"participant_id": "1"})
    assert response.status_code == 403
    assert support_session.controller.user_id == support_session.started_by_id
