"""#13 item 5: a guessed number or a forwarded link lets nobody further than
it should. Customer links are single-use and revocable; join tries are
counted per /64 and per session number."""

import io

import pytest
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import FileStorage

from tests.conftest import IsolatedClient, make_config
from tests.factories import make_customer, make_rep, make_support_session
from tests.helpers import copy_link
from webapp import create_app
from webapp.extensions import db
from webapp.models import Invitation, Participant, ParticipantRole
from webapp.services import invitations, sessions
from webapp.services.errors import ServiceError
from webapp.services.secrets_ import digest, new_token


def customers_in(support_session) -> list[str]:
    db.session.expire_all()
    return [
        p.name
        for p in db.session.scalars(
            db.select(Participant).where(
                Participant.support_session_id == support_session.id,
                Participant.role == ParticipantRole.CUSTOMER,
            )
        )
    ]


@pytest.fixture
def link(app, login_as):
    rep = make_rep()
    support_session, _ = make_support_session(rep)
    rep_client = login_as(rep)
    return support_session, copy_link(rep_client, support_session, "customer"), rep_client


def test_a_customer_link_belongs_to_the_first_browser_that_joins(app, link):
    support_session, path, _ = link
    first, second = app.test_client(), app.test_client()
    assert second.get(path).status_code == 200  # looking takes nothing
    assert first.post(path, data={"name": "Kim"}).status_code == 302
    assert first.get(path).status_code == 302  # a reload there keeps working
    used = second.get(path)
    assert used.status_code == 410 and "redan använts" in used.text
    refused = second.post(path, data={"name": "Mallory"})
    assert refused.status_code == 410
    assert customers_in(support_session) == ["Kim"]


def test_the_owner_may_come_back_with_its_link_after_leaving(app, link):
    support_session, path, _ = link
    kim = app.test_client()
    kim.post(path, data={"name": "Kim"})
    kim.post(f"/join/session/{support_session.id}/leave")
    assert kim.get(path).status_code == 200
    assert kim.post(path, data={"name": "Kim"}).status_code == 302
    assert customers_in(support_session) == ["Kim", "Kim"]


def test_two_browsers_racing_for_one_link_get_one_seat(app, link):
    support_session, _path, _ = link
    invitation = db.session.scalars(db.select(Invitation)).one()
    sessions.join_with_invitation(invitation, "First", None)
    # As the second browser read it, before the first committed.
    set_committed_value(invitation, "used_at", None)
    with pytest.raises(ServiceError) as refused:
        sessions.join_with_invitation(invitation, "Second", None)
    assert refused.value.status == 410
    assert customers_in(support_session) == ["First"]


def test_a_revoked_link_stops_working_at_once(app, link):
    support_session, path, rep_client = link
    [invitation] = invitations.open_invitations(support_session.id)
    dialog = rep_client.get(f"/dashboard/{support_session.id}/invite").text
    assert "Öppna inbjudningar" in dialog and "Återkalla" in dialog
    answer = rep_client.post(
        f"/dashboard/{support_session.id}/invitations/{invitation.id}/revoke",
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200 and "Återkalla" not in answer.text
    withdrawn = app.test_client().get(path)
    assert withdrawn.status_code == 410 and "återkallats" in withdrawn.text
    assert customers_in(support_session) == []


def logged_in(app, user):
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": "password123"})
    return browser


def test_only_the_controller_of_that_session_may_revoke(app, link):
    support_session, _path, _ = link
    [invitation] = invitations.open_invitations(support_session.id)
    other_session, _ = make_support_session()
    revoke = f"/dashboard/{support_session.id}/invitations/{invitation.id}/revoke"
    assert logged_in(app, make_rep()).post(revoke).status_code == 403
    # The controller of another session names this session's invitation.
    other_rep = logged_in(app, other_session.started_by)
    cross = f"/dashboard/{other_session.id}/invitations/{invitation.id}/revoke"
    assert other_rep.post(cross).status_code == 404
    assert invitations.open_invitations(support_session.id) == [invitation]


@pytest.fixture
def limited(tmp_path):
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'limits.sqlite'}",
            JOIN_RATE_LIMIT="3 per minute",
            JOIN_NUMBER_RATE_LIMIT="5 per minute",
        )
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
    app.extensions["live"].stop()


def join_from(app, number, address):
    return app.test_client().post(
        "/join/", data={"number": number, "name": "Gissare"}, environ_base={"REMOTE_ADDR": address}
    )


def test_ipv6_guessers_count_as_their_slash_64(limited):
    statuses = [
        join_from(limited, f"{n:09d}", f"2001:db8:7:7::{n + 1:x}").status_code for n in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    assert join_from(limited, "000000009", "2001:db8:7:8::1").status_code == 404


def test_many_addresses_cannot_guess_one_number_at_full_speed(limited):
    support_session, _ = make_support_session()
    make_customer(support_session)
    statuses = [join_from(limited, "123456789", f"198.51.100.{n}").status_code for n in range(1, 8)]
    assert statuses[:5] == [404] * 5 and set(statuses[5:]) == {429}
    # Other numbers, and the real one, are tried at their own pace.
    assert join_from(limited, support_session.number, "198.51.100.99").status_code == 302


@pytest.mark.e2e
def test_the_rep_revokes_a_link_from_the_invite_dialog(live_server, new_page):
    from playwright.sync_api import expect

    from tests.e2e.steps import log_in_and_start, make_rut

    make_rut(live_server)
    rep = new_page()
    log_in_and_start(rep, live_server.base_url)
    rep.get_by_role("tab", name="Verktyg").click()
    rep.get_by_role("button", name="Bjud in").first.click()
    dialog = rep.get_by_role("dialog")
    dialog.get_by_role("button", name="Kopiera länk").click()
    link = dialog.get_by_label("Länk till sessionen").input_value()
    open_links = dialog.locator("#open-invitations")
    expect(open_links).to_contain_text("Öppna inbjudningar")
    open_links.get_by_role("button", name="Återkalla").click()
    expect(open_links.locator("li")).to_have_count(0)

    kim = new_page(width=390, height=844)
    kim.goto(link)
    expect(kim.get_by_role("main")).to_contain_text("Den här inbjudan har återkallats")


def test_a_customer_who_joins_later_reads_nothing_from_before(app):
    from tests.helpers import RecordingSocket
    from webapp.live.connection import SessionConnection
    from webapp.services import chat, files

    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session, "Kim")
    chat.post_message(kim, "Mitt personnummer är 19700101-1234")
    files.share_file(kim, FileStorage(io.BytesIO(b"kims"), filename="kim.pdf"), None)
    ola = make_customer(support_session, "Ola")
    files.share_file(rep_seat, FileStorage(io.BytesIO(b"ola"), filename="till-ola.pdf"), ola.id)
    chat.post_message(rep_seat, "Välkommen Ola")

    assert [line.text for line in chat.history_for(ola)] == ["Välkommen Ola"]
    assert [f.original_name for f in files.visible_files(ola)] == ["till-ola.pdf"]
    assert len(chat.history_for(rep_seat)) == 2 and len(chat.history_for(kim)) == 2
    assert [f.original_name for f in files.visible_files(kim)] == ["kim.pdf"]

    page = app.test_client()
    with page.session_transaction() as cookie:
        secret = new_token()
        ola.secret_hash = digest(secret)
        db.session.commit()
        cookie["seats"] = {str(support_session.id): secret}
    shown = page.get(f"/join/session/{support_session.id}").text
    assert "Välkommen Ola" in shown and "19700101" not in shown and "kim.pdf" not in shown

    with app.test_request_context():
        socket = SessionConnection(RecordingSocket(), support_session.id, ola.id, "sv")
        socket._send_everything()
    sent = "".join(socket.ws.sent)
    assert "Välkommen Ola" in sent and "19700101" not in sent
    # Kim was there for every line: her socket is sent the shared log, whole.
    with app.test_request_context():
        kims = SessionConnection(RecordingSocket(), support_session.id, kim.id, "sv")
        kims._send_everything()
    sent = "".join(kims.ws.sent)
    assert "Välkommen Ola" in sent and "19700101" in sent and len(kims.chat_ids_in_log) == 2
