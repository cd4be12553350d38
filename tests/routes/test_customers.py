"""Pages of several customers (R3) and the admin's settings (R1.2, R3.5)."""

from tests.factories import make_customer, make_rep, make_support_session
from webapp.extensions import db
from webapp.services import customers


def test_the_controller_chooses_whom_to_help(client, login_as):
    support_session, rut = make_support_session()
    make_customer(support_session, "Kim")
    ola = make_customer(support_session, "Ola")
    login_as(rut.user)
    page = client.get(f"/dashboard/{support_session.id}").text
    assert "Hjälp Ola" in page and "Får hjälp" in page
    response = client.post(f"/dashboard/{support_session.id}/help/{ola.id}")
    assert response.status_code == 204
    db.session.expire_all()
    assert support_session.helped_participant_id == ola.id
    response = client.post(f"/dashboard/{support_session.id}/help/999999")
    assert response.status_code == 400


def test_a_customer_over_the_cap_is_told_and_not_seated(client):
    settings = customers.site_settings()
    settings.customer_cap = 1
    db.session.add(settings)
    db.session.commit()
    support_session, _ = make_support_session()
    make_customer(support_session, "Kim")
    response = client.post(
        "/join/", data={"number": support_session.number, "name": "Ola"}, follow_redirects=True
    )
    assert response.status_code == 409
    assert "så många kunder som möjligt" in response.text
    db.session.expire_all()
    assert [p.name for p in support_session.participants][1:] == ["Kim"]


def test_the_window_opens_a_session_per_invite(client, login_as):
    rut = make_rep("Rut")
    login_as(rut)
    assert client.get("/support/multi/").status_code == 200
    response = client.post("/support/multi/sessions", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "invite=1" in response.headers["HX-Redirect"]
    assert len(customers.window_sessions(rut)) == 1


def test_the_window_is_refused_without_the_privilege(client, login_as):
    rut = make_rep("Rut")
    rut.multi_session = False
    db.session.commit()
    login_as(rut)
    response = client.get("/support/multi/")
    assert response.status_code == 403
    assert "flera sessioner" in response.text
    assert client.post("/support/multi/sessions").status_code == 403


def test_settings_are_for_admins_and_bad_values_change_nothing(client, login_as):
    login_as(make_rep("Rut"))
    assert client.get("/admin/settings").status_code == 403
    client.post("/logout")
    rep = make_rep("Ragnar")
    login_as(make_rep("Alva", role="admin"))
    page = client.get("/admin/settings")
    assert page.status_code == 200 and "Ragnar" in page.text
    response = client.post("/admin/settings", data={"customer_cap": "0"})
    assert response.status_code == 400
    assert "Ange ett heltal från 1 till 100" in response.text
    assert customers.site_settings().customer_cap == 5
    response = client.post("/admin/settings", data={"customer_cap": "7"})
    assert response.status_code == 200 and "Sparat" in response.text
    db.session.expire_all()
    settings = customers.site_settings()
    assert (settings.customer_cap, settings.multi_session_allowed) == (7, False)
    response = client.post(
        f"/admin/reps/{rep.id}", data={"multi_session": "maybe", "customer_cap": "3"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert (rep.multi_session, rep.customer_cap) == (None, None)
    response = client.post(
        f"/admin/reps/{rep.id}", data={"multi_session": "allow", "customer_cap": "12"}
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert (rep.multi_session, rep.customer_cap) == (True, 12)


def test_an_ended_session_keeps_its_chat_and_files_for_its_staff(client, login_as):
    from webapp.services import chat, sessions

    support_session, rut = make_support_session()
    kim = make_customer(support_session, "Kim")
    chat.post_message(kim, "Skrivaren säger PC LOAD LETTER")
    login_as(rut.user)
    assert client.get(f"/dashboard/{support_session.id}/record").status_code == 404  # still open
    sessions.end_session(rut)
    page = client.get("/support/")
    assert "Avslutade sessioner" in page.text
    record = client.get(f"/dashboard/{support_session.id}/record")
    assert record.status_code == 200
    assert "PC LOAD LETTER" in record.text and "Kim" in record.text
    client.post("/logout")
    login_as(make_rep("Ragnar"))
    assert client.get(f"/dashboard/{support_session.id}/record").status_code == 404


def test_digits_int_cannot_read_are_a_clear_error_not_a_500(client, login_as):
    """ "²" passes str.isdigit() but not int(): every number field must say so."""
    login_as(make_rep("Alva", role="admin"))
    response = client.post("/admin/settings", data={"customer_cap": "²"})
    assert response.status_code == 400
    assert "Ange ett heltal" in response.text


def test_ids_beyond_the_keys_range_are_not_found(client, login_as):
    support_session, rut = make_support_session()
    login_as(rut.user)
    huge = 10**20
    response = client.post(f"/dashboard/{support_session.id}/help/{huge}")
    assert response.status_code == 404
    response = client.post(
        f"/dashboard/{support_session.id}/transfer-control", data={"participant_id": str(huge)}
    )
    assert response.status_code == 400


def test_a_users_live_views_follow_the_rules_of_their_pages(app):
    """The rep's own socket (/live/me/<view>) opens only for whom the page would."""
    from webapp.blueprints.live_user import VIEWS

    rep, agent = make_rep("Rut"), make_rep("Agnes", role="agent")
    may_see_inbox, _render = VIEWS["inbox"]
    assert may_see_inbox(agent) and not may_see_inbox(rep)
    may_see_tabs, _render = VIEWS["tabs"]
    assert may_see_tabs(rep)
    rep.multi_session = False
    assert not may_see_tabs(rep)


def test_fields_without_an_error_are_not_announced_as_invalid(client):
    page = client.get("/join/").text
    assert 'aria-invalid="None"' not in page and 'aria-describedby="None"' not in page
    refused = client.post("/join/", data={"number": "123", "name": ""}).text
    assert 'aria-invalid="true"' in refused


def test_a_waiting_customer_is_told_the_rep_helps_another(client):
    support_session, _rut = make_support_session()
    make_customer(support_session, "Kim")
    client.post("/join/", data={"number": support_session.number, "name": "Ola"})
    page = client.get(f"/join/session/{support_session.id}").text
    assert "hjälper en annan kund just nu" in page
