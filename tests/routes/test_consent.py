"""Recording consent through the pages (#16 item 4): the customer's question
and answers, the rep's view of them, and a recording upload crafted by the
rep's client that the server refuses without consent."""

import io
from pathlib import Path

from tests.factories import make_rep, make_support_session
from tests.helpers import join, switch_language
from webapp.extensions import db
from webapp.models import ActivityKind, SessionFile
from webapp.services import activities

HTMX = {"HX-Request": "true"}


def rep_and_customer(app, login_as):
    support_session, rep_seat = make_support_session(make_rep("Rut"))
    rep_client = login_as(support_session.started_by)
    customer_client = app.test_client()
    join(customer_client, support_session.number, "Kim")
    return support_session, rep_seat, rep_client, customer_client


def chunk(activity_id, data=b"webm", offset=0):
    return {
        "activity_id": str(activity_id),
        "chunk": (io.BytesIO(data), "chunk.webm"),
        "offset": str(offset),
        "elapsed_ms": "1000",
    }


def nothing_stored(app) -> bool:
    root = Path(app.config["UPLOAD_DIR"])
    on_disk = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return db.session.scalars(db.select(SessionFile)).all() == [] and on_disk == []


def ask(rep_client, support_session):
    return rep_client.post(f"/sessions/{support_session.id}/consent/ask")


def answer(client, support_session, decision, **headers):
    return client.post(
        f"/sessions/{support_session.id}/consent",
        data={"decision": decision},
        headers={**HTMX, **headers},
    )


def test_the_customer_is_asked_and_allows_in_swedish(app, login_as):
    support_session, rep_seat, rep_client, customer_client = rep_and_customer(app, login_as)
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    refused = rep_client.post(
        f"/sessions/{support_session.id}/activities", data={"kind": "recording"}
    )
    assert refused.status_code == 403 and "samtycke" in refused.json["error"]
    assert ask(rep_client, support_session).json == {"state": "waiting"}
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Supporten vill spela in sessionen" in page and "Tillåt" in page and "Neka" in page
    dashboard = rep_client.get(f"/dashboard/{support_session.id}").text
    assert 'data-consent="waiting"' in dashboard and "inte svarat" in dashboard
    allowed = answer(customer_client, support_session, "allow")
    assert allowed.status_code == 200 and "Supporten vill spela in" not in allowed.text
    started = rep_client.post(
        f"/sessions/{support_session.id}/activities", data={"kind": "recording"}
    )
    assert started.status_code == 201
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Återkalla samtycke" in page
    assert 'data-consent="allowed"' in rep_client.get(f"/dashboard/{support_session.id}").text


def test_the_customer_denies_in_english_and_the_rep_is_told(app, login_as):
    support_session, rep_seat, rep_client, customer_client = rep_and_customer(app, login_as)
    switch_language(customer_client, "en")
    switch_language(rep_client, "en")
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    ask(rep_client, support_session)
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Support wants to record the session" in page and ">Allow<" in page
    assert answer(customer_client, support_session, "deny").status_code == 200
    dashboard = rep_client.get(f"/dashboard/{support_session.id}").text
    assert 'data-consent="denied"' in dashboard and "A customer declined" in dashboard
    refused = rep_client.post(
        f"/sessions/{support_session.id}/activities", data={"kind": "recording"}
    )
    assert refused.status_code == 403
    assert refused.json["error"].startswith("Recording needs the consent")


def test_withdrawing_stops_the_recording_and_refuses_the_rest(app, login_as):
    support_session, rep_seat, rep_client, customer_client = rep_and_customer(app, login_as)
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    ask(rep_client, support_session)
    answer(customer_client, support_session, "allow")
    started = rep_client.post(
        f"/sessions/{support_session.id}/activities", data={"kind": "recording"}
    )
    recording_id = started.json["id"]
    url = f"/sessions/{support_session.id}/recordings"
    assert rep_client.post(url, data=chunk(recording_id, b"we")).status_code == 200
    assert answer(customer_client, support_session, "withdraw").status_code == 200
    refused = rep_client.post(url, data=chunk(recording_id, b"bm", offset=2))
    assert refused.status_code == 403 and "samtycke" in refused.json["error"]
    assert db.session.scalars(db.select(SessionFile)).one().size == 2
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Återkalla samtycke" not in page


def test_a_crafted_upload_without_consent_stores_nothing(app, login_as):
    """The rep records alone, Kim joins: the rep's client goes on sending
    parts of the recording as if nothing happened. None is kept."""
    support_session, rep_seat = make_support_session(make_rep("Rut"))
    rep_client = login_as(support_session.started_by)
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    recording = activities.start_activity(rep_seat, ActivityKind.RECORDING)
    customer_client = app.test_client()
    join(customer_client, support_session.number, "Kim")
    switch_language(rep_client, "en")
    url = f"/sessions/{support_session.id}/recordings"
    refused = rep_client.post(url, data=chunk(recording.id))
    assert refused.status_code == 403
    assert refused.json == {
        "error": "Recording needs the consent of every customer present. Nothing was stored."
    }
    assert nothing_stored(app)
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Supporten vill spela in sessionen" in page  # Kim is asked


def test_bad_answers_are_refused_and_change_nothing(app, login_as):
    support_session, rep_seat, rep_client, customer_client = rep_and_customer(app, login_as)
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    not_asked = answer(customer_client, support_session, "allow")
    assert not_asked.status_code == 409 and "Ingen ber" in not_asked.text
    ask(rep_client, support_session)
    junk = answer(customer_client, support_session, "maybe")
    assert junk.status_code == 400 and "Tillåt eller Neka" in junk.text
    assert answer(rep_client, support_session, "allow").status_code == 403
    stranger = app.test_client()
    assert answer(stranger, support_session, "allow").status_code == 404
    assert ask(customer_client, support_session).status_code == 403
    assert ask(stranger, support_session).status_code == 404
    _other, _ = make_support_session()
    assert answer(customer_client, _other, "allow").status_code == 404
    page = customer_client.get(f"/join/session/{support_session.id}").text
    assert "Supporten vill spela in sessionen" in page  # still asked


def test_each_decision_is_in_the_history_timeline(app, login_as):
    support_session, rep_seat, rep_client, customer_client = rep_and_customer(app, login_as)
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    ask(rep_client, support_session)
    answer(customer_client, support_session, "deny")
    ask(rep_client, support_session)
    answer(customer_client, support_session, "allow")
    rep_client.post(f"/sessions/{support_session.id}/activities", data={"kind": "recording"})
    answer(customer_client, support_session, "withdraw")
    page = rep_client.get(f"/history/{support_session.id}").text
    for text in (
        "Rut bad Kim att tillåta inspelning",
        "Kim nekade inspelning",
        "Kim tillät inspelning",
        "Kim återkallade samtycket till inspelning",
    ):
        assert text in page
    switch_language(rep_client, "en")
    page = rep_client.get(f"/history/{support_session.id}").text
    assert "Kim withdrew consent to recording" in page and "Verified" in page
