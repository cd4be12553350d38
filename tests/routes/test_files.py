"""Filöverföring and recordings through the pages (R7, #5): who may send and
fetch what, and what a refused upload tells the user, in both languages."""

import io
import re
from urllib.parse import quote

import pytest

from tests.conftest import IsolatedClient, make_config
from tests.factories import allow_recording, make_rep, make_support_session
from tests.helpers import join, switch_language
from webapp import create_app
from webapp.extensions import db
from webapp.models import ActivityKind, SessionFile
from webapp.services import activities, sessions

HTMX = {"HX-Request": "true"}
MB = 1024 * 1024


def send_file(client, support_session, data=b"hello", name="notes.txt", **fields):
    return client.post(
        f"/sessions/{support_session.id}/files",
        data={"file": (io.BytesIO(data), name), **fields},
        headers=HTMX,
    )


@pytest.fixture
def session_with_customer(app, login_as):
    """A rep's browser and a customer's browser in one session."""
    support_session, _rep_seat = make_support_session(make_rep("Rut"))
    rep_client = login_as(support_session.started_by)
    customer_client = app.test_client()
    join(customer_client, support_session.number, "Kim")
    return support_session, rep_client, customer_client


def test_a_customer_sends_a_file_and_the_rep_downloads_it(app, session_with_customer):
    support_session, rep_client, customer_client = session_with_customer
    response = send_file(customer_client, support_session, b"\x00log\xff", "Logg åäö.txt")
    assert response.status_code == 200
    assert 'id="files"' in response.text and "Logg åäö.txt" in response.text
    assert "<html" not in response.text  # the panel, not the page
    shared = db.session.scalars(db.select(SessionFile)).one()
    download = rep_client.get(f"/sessions/{support_session.id}/files/{shared.id}")
    assert download.status_code == 200
    assert download.data == b"\x00log\xff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Logg åäö.txt')}" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/octet-stream"
    assert "no-store" in download.headers["Cache-Control"]
    assert "Logg åäö.txt" in rep_client.get(f"/dashboard/{support_session.id}").text


def test_a_rep_sends_a_file_to_one_customer(app, session_with_customer):
    support_session, rep_client, customer_client = session_with_customer
    kim = next(p for p in support_session.participants if p.name == "Kim")
    other_client = app.test_client()
    join(other_client, support_session.number, "Bo")
    response = send_file(rep_client, support_session, name="bara-kim.txt", recipient=str(kim.id))
    assert response.status_code == 200
    shared = db.session.scalars(db.select(SessionFile)).one()
    url = f"/sessions/{support_session.id}/files/{shared.id}"
    assert customer_client.get(url).data == b"hello"
    assert "bara-kim.txt" in customer_client.get(f"/join/session/{support_session.id}").text
    assert other_client.get(url).status_code == 404
    assert "bara-kim.txt" not in other_client.get(f"/join/session/{support_session.id}").text


def test_the_panel_and_the_recipients_show_on_both_pages(app, session_with_customer):
    support_session, rep_client, customer_client = session_with_customer
    dashboard = rep_client.get(f"/dashboard/{support_session.id}").text
    assert ">Filer<" in dashboard and "Skicka fil" in dashboard and "Alla" in dashboard
    assert ">Inspelningar<" in dashboard
    assert '<option value="' in dashboard and ">Kim<" in dashboard
    customer_page = customer_client.get(f"/join/session/{support_session.id}").text
    assert ">Filer<" in customer_page and ">Inspelningar<" not in customer_page
    switch_language(customer_client, "en")
    customer_page = customer_client.get(f"/join/session/{support_session.id}").text
    assert ">Files<" in customer_page and "Send file" in customer_page


def test_strangers_and_customers_of_another_session_get_404(app, session_with_customer):
    support_session, rep_client, _customer_client = session_with_customer
    send_file(rep_client, support_session)
    shared = db.session.scalars(db.select(SessionFile)).one()
    other_session, _ = make_support_session()
    other_customer = app.test_client()
    join(other_customer, other_session.number)
    for client in (app.test_client(), other_customer):
        assert client.get(f"/sessions/{support_session.id}/files/{shared.id}").status_code == 404
        assert send_file(client, support_session).status_code == 404
    # Not even through its own session's URL: the file belongs to another.
    assert other_customer.get(f"/sessions/{other_session.id}/files/{shared.id}").status_code == 404
    assert db.session.query(SessionFile).count() == 1


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("sv", "Filen är större än gränsen på 1 MB."),
        ("en", "The file is larger than the limit of 1 MB."),
    ],
)
@pytest.mark.parametrize("size", [MB + 1, 2 * MB])  # caught on disk; caught by Werkzeug
def test_an_upload_over_the_limit_gets_a_clear_413(app, client, locale, text, size):
    app.config["FILE_MAX_BYTES"] = MB
    support_session, _ = make_support_session()
    join(client, support_session.number)
    switch_language(client, locale)
    response = send_file(client, support_session, b"x" * size)
    assert response.status_code == 413
    # Shown in the Files card, where the user is (not at the top of the page).
    assert file_error(response) == text
    assert "HX-Retarget" not in response.headers
    assert db.session.query(SessionFile).count() == 0


def file_error(response) -> str:
    found = re.search(r'id="file-error" role="alert">([^<]*)</p>', response.text)
    return found.group(1) if found else ""


def test_a_missing_file_or_a_bad_recipient_is_a_clear_400(app, client):
    support_session, _ = make_support_session()
    join(client, support_session.number)
    response = client.post(f"/sessions/{support_session.id}/files", data={}, headers=HTMX)
    assert response.status_code == 400
    assert file_error(response) == "Välj en fil att skicka."
    response = send_file(client, support_session, recipient="nobody")
    assert response.status_code == 400
    response = send_file(client, support_session, name="../../etc/passwd")
    assert response.status_code == 400
    assert db.session.query(SessionFile).count() == 0


def test_without_htmx_sending_returns_to_the_page(app, client):
    support_session, _ = make_support_session()
    join(client, support_session.number)
    response = client.post(
        f"/sessions/{support_session.id}/files", data={"file": (io.BytesIO(b"x"), "a.txt")}
    )
    assert response.status_code == 302
    assert response.location == f"/join/session/{support_session.id}"


def chunk(activity_id: int, data: bytes, offset: int = 0, elapsed_ms: int = 1000) -> dict:
    return {
        "chunk": (io.BytesIO(data), "blob"),
        "activity_id": str(activity_id),
        "offset": str(offset),
        "elapsed_ms": str(elapsed_ms),
    }


def test_the_recorder_stores_a_recording_only_staff_download(app, session_with_customer):
    support_session, rep_client, customer_client = session_with_customer
    rep_seat = support_session.controller
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    allow_recording(support_session)
    recording = activities.start_activity(rep_seat, ActivityKind.RECORDING)
    url = f"/sessions/{support_session.id}/recordings"
    refused = customer_client.post(url, data=chunk(recording.id, b"x"))
    assert refused.status_code == 403 and "error" in refused.json
    response = rep_client.post(url, data=chunk(recording.id, b"we"))
    assert response.status_code == 200
    stored_id = response.json["id"]
    assert rep_client.post(url, data=chunk(recording.id, b"bm", offset=2)).json == {
        "id": stored_id,
        "size": 4,
    }
    gap = rep_client.post(url, data=chunk(recording.id, b"??", offset=9))
    assert gap.status_code == 409 and gap.json["expected"] == 4
    assert rep_client.post(url, data={"activity_id": recording.id, "final": "1"}).status_code == 200
    download = rep_client.get(f"{url}/{stored_id}")
    assert download.data == b"webm" and "attachment" in download.headers["Content-Disposition"]
    assert customer_client.get(f"{url}/{stored_id}").status_code == 404
    # Named in the recorder's language (Swedish by default, R8).
    assert (
        f"inspelning-{support_session.number}-"
        in rep_client.get(f"/dashboard/{support_session.id}").text
    )
    switch_language(rep_client, "en")
    again = activities.start_activity(rep_seat, ActivityKind.RECORDING)
    assert rep_client.post(url, data=chunk(again.id, b"webm")).status_code == 200
    assert (
        f"recording-{support_session.number}-"
        in rep_client.get(f"/dashboard/{support_session.id}").text
    )
    sessions.end_session(rep_seat)
    assert rep_client.get(f"{url}/{stored_id}").data == b"webm"  # the staff keep it


@pytest.mark.parametrize(
    "fields",
    [{}, {"offset": "-1"}, {"offset": "x", "elapsed_ms": "1"}, {"elapsed_ms": "1e3"}],
)
def test_a_chunk_without_its_offset_or_length_is_refused(app, login_as, fields):
    support_session, rep_seat = make_support_session()
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    recording = activities.start_activity(rep_seat, ActivityKind.RECORDING)
    client = login_as(support_session.started_by)
    data = {"chunk": (io.BytesIO(b"webm"), "blob"), "activity_id": str(recording.id), **fields}
    response = client.post(f"/sessions/{support_session.id}/recordings", data=data)
    assert response.status_code == 400 and response.json["error"]
    assert db.session.scalars(db.select(SessionFile)).all() == []


def test_a_recording_over_the_limit_is_a_json_413_in_the_users_language(app, login_as):
    app.config["RECORDING_MAX_BYTES"] = MB
    support_session, rep_seat = make_support_session()
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    recording = activities.start_activity(rep_seat, ActivityKind.RECORDING)
    client = login_as(support_session.started_by)
    switch_language(client, "en")
    url = f"/sessions/{support_session.id}/recordings"
    response = client.post(url, data=chunk(recording.id, b"x" * 2 * MB))
    assert response.status_code == 413
    assert response.json == {"error": "The recording is larger than the limit of 1 MB."}
    # One request carries a few seconds of it, never the whole of a big one.
    app.config["RECORDING_MAX_BYTES"] = 100 * MB
    response = client.post(url, data=chunk(recording.id, b"x" * 9 * MB))
    assert response.status_code == 413
    assert response.json == {"error": "This part of the recording is too large to send."}
    assert db.session.scalars(db.select(SessionFile)).all() == []


def test_after_the_end_the_customer_can_no_longer_download(app, session_with_customer):
    support_session, rep_client, customer_client = session_with_customer
    send_file(customer_client, support_session)
    shared = db.session.scalars(db.select(SessionFile)).one()
    rep_client.post(f"/dashboard/{support_session.id}/end")
    url = f"/sessions/{support_session.id}/files/{shared.id}"
    assert customer_client.get(url).status_code == 404
    assert rep_client.get(url).data == b"hello"


def test_the_limit_applies_before_the_csrf_check_reads_the_body(tmp_path):
    """CSRFProtect parses the body looking for its token; an oversized one
    must be refused with our message, not parsed in full first."""
    app = create_app(
        make_config(
            WTF_CSRF_ENABLED=True,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'csrf.sqlite'}",
            UPLOAD_DIR=str(tmp_path / "uploads"),
            FILE_MAX_BYTES=MB,
        )
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        support_session, _ = make_support_session()
        response = send_file(app.test_client(), support_session, b"x" * 2 * MB)
        assert response.status_code == 413
        assert "Filen är större än gränsen på 1 MB." in response.text
        response = send_file(app.test_client(), support_session, b"x")
        assert response.status_code == 400  # no token: refused as before
        db.session.remove()
        db.drop_all()
    app.extensions["live"].stop()


def test_uploads_are_rate_limited_per_address(app, client):
    app.config["UPLOAD_RATE_LIMIT"] = "2 per minute"
    support_session, _ = make_support_session()
    join(client, support_session.number)
    statuses = [send_file(client, support_session).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert db.session.query(SessionFile).count() == 2
