"""#13 item 7: what the server keeps and hands out. TURN credentials are per
page and expire, disk use has quotas, ended sessions' data goes after the
retention, the outbox holds no token, and a saved change never answers 500."""

import base64
import hashlib
import hmac
import io
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from tests.conftest import make_config
from tests.factories import make_customer, make_rep, make_support_session
from webapp import create_app
from webapp.config import ConfigError
from webapp.extensions import db
from webapp.models import ChatMessage, SessionEvent, SessionFile, StaffNote, SupportSession
from webapp.models.base import utcnow
from webapp.services import chat, files, notes, sessions, turn
from webapp.services.errors import ServiceError
from webapp.services.users import create_user

SECRET = "turn-shared-secret"


def upload(size: int) -> FileStorage:
    return FileStorage(stream=io.BytesIO(b"x" * size), filename="logg.txt")


def test_each_page_gets_turn_credentials_of_its_own_that_expire(app):
    app.config.update(TURN_URLS=["turn:127.0.0.1:3478"], TURN_SECRET=SECRET, TURN_TTL_SECONDS=600)
    now = time.time()
    [server] = turn.ice_servers(7, now=now)
    expires, seat = server["username"].split(":")
    assert int(expires) == int(now + 600) and seat == "seat-7"
    # What coturn's use-auth-secret computes to accept them.
    expected = hmac.new(SECRET.encode(), server["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(server["credential"]) == expected
    assert turn.ice_servers(8, now=now)[0]["username"] != server["username"]


def test_the_secret_never_reaches_a_page(app, login_as):
    app.config.update(TURN_URLS=["turn:127.0.0.1:3478"], TURN_SECRET=SECRET)
    rep = make_rep()
    support_session, seat = make_support_session(rep)
    page = login_as(rep).get(f"/dashboard/{support_session.id}").text
    assert f":seat-{seat.id}" in page and "turn:127.0.0.1:3478" in page
    assert SECRET not in page


@pytest.mark.parametrize(
    "settings",
    [
        {"ICE_SERVERS": [{"urls": "turn:t.example", "username": "u", "credential": "p"}]},
        {"TURN_URLS": ["turn:t.example"]},
        {"TURN_SECRET": SECRET},
    ],
)
def test_static_or_half_turn_settings_are_refused_at_start(settings):
    with pytest.raises(ConfigError):
        create_app(make_config(**settings))


def test_a_session_cannot_fill_the_disk(app):
    app.config["SESSION_UPLOAD_QUOTA_BYTES"] = 100_000
    support_session, _rep_seat = make_support_session()
    customer = make_customer(support_session)
    files.share_file(customer, upload(60_000), None)
    with pytest.raises(ServiceError) as refused:
        files.share_file(customer, upload(60_000), None)
    assert refused.value.status == 413
    assert db.session.query(SessionFile).count() == 1
    on_disk = list((Path(app.config["UPLOAD_DIR"]) / str(support_session.id)).iterdir())
    assert len(on_disk) == 1  # the refused one left nothing behind
    # Another session has room of its own, under the site's quota.
    _other, other_rep = make_support_session()
    files.share_file(other_rep, upload(60_000), None)
    app.config["UPLOAD_QUOTA_BYTES"] = 150_000
    with pytest.raises(ServiceError):
        files.share_file(other_rep, upload(60_000), None)


def test_the_upload_route_says_there_is_no_room(app, login_as):
    app.config["SESSION_UPLOAD_QUOTA_BYTES"] = 1_000
    rep = make_rep()
    support_session, _ = make_support_session(rep)
    answer = login_as(rep).post(
        f"/sessions/{support_session.id}/files",
        data={"file": (io.BytesIO(b"x" * 2_000), "stor.txt")},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 413
    assert "Det finns inte plats för fler filer här" in answer.text


def ended_session_with_data(days_ago: int):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    chat.post_message(customer, "Mitt kundnummer är 4711")
    files.share_file(customer, upload(1_000), None)
    notes.add(rep_seat.user, support_session.id, "Kunden heter egentligen Kim Andersson")
    sessions.end_session(rep_seat)
    support_session.ended_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return support_session


def rows_of(support_session) -> dict[str, int]:
    return {
        table.__name__: db.session.query(table)
        .filter(table.support_session_id == support_session.id)
        .count()
        for table in (ChatMessage, SessionEvent, SessionFile, StaffNote)
    }


def test_purge_removes_old_sessions_data_and_says_what(app):
    old, recent = ended_session_with_data(40), ended_session_with_data(5)
    old_dir = Path(app.config["UPLOAD_DIR"]) / str(old.id)
    assert old_dir.is_dir()
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"1 purged, 1 files and 0 recordings .* 1 chat lines, \d+ events", result.output
    )
    assert rows_of(old) == {"ChatMessage": 0, "SessionEvent": 0, "SessionFile": 0, "StaffNote": 0}
    assert not old_dir.exists()
    assert all(rows_of(recent).values())
    assert db.session.get(SupportSession, old.id) is not None  # who helped whom stays


def test_purge_follows_the_admins_retention(app, login_as):
    old = ended_session_with_data(40)
    runner = app.test_cli_runner()
    assert "No retention is set" in runner.invoke(args=["purge"]).output
    admin = login_as(make_rep(role="admin"))
    refused = admin.post("/admin/settings", data={"customer_cap": "5", "retention_days": "zero"})
    assert refused.status_code == 400 and "heltal dagar" in refused.text
    assert (
        admin.post(
            "/admin/settings", data={"customer_cap": "5", "retention_days": "30"}
        ).status_code
        == 200
    )
    assert "1 purged" in runner.invoke(args=["purge"]).output
    assert rows_of(old)["ChatMessage"] == 0


def test_a_bus_that_fails_after_the_commit_does_not_answer_500(app, login_as, monkeypatch):
    def broken(*_args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(app.extensions["live"], "publish", broken)
    rep = make_rep()
    answer = login_as(rep).post("/support/start", data={})
    assert answer.status_code == 302
    assert db.session.query(SupportSession).count() == 1  # saved, and said so


def test_a_staff_name_of_120_characters_can_start_a_session(app):
    rep = create_user("long@example.com", "Å" * 120, "rep", "password123")
    _support_session, seat = sessions.start_session(rep)
    assert seat.name == "Å" * 120
    with pytest.raises(ServiceError):
        create_user("longer@example.com", "Å" * 121, "rep", "password123")
