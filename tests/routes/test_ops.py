"""#14 item 2: liveness, readiness naming what failed, metrics behind a
token, and log lines without invitation tokens."""

import json
import logging

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import make_config
from tests.factories import make_customer, make_rep, make_support_session
from webapp import create_app
from webapp.extensions import db
from webapp.logs import JsonLines, Redacting


def test_liveness_and_readiness(client):
    assert client.get("/healthz").text == "ok"
    ready = client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")


def test_readiness_names_the_database_when_it_is_down(app, client, monkeypatch):
    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", down)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.text == "not ready: database"


def test_readiness_names_redis_when_it_is_down(tmp_path):
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'r.sqlite'}",
            REDIS_URL="redis://127.0.0.1:1/0",  # nothing listens there
        )
    )
    with app.app_context():
        db.create_all()
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.text == "not ready: redis"


def test_metrics_are_off_without_a_token_and_closed_to_a_wrong_one(app, client):
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-scraper"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401


def test_metrics_tell_sessions_queues_offers_sockets_and_mail(app, client):
    app.config["METRICS_TOKEN"] = "s3cret-scraper"
    support_session, _ = make_support_session()
    make_customer(support_session)
    socket = app.extensions["live"].bus.subscribe(support_session.id)
    try:
        text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper"}).text
    finally:
        socket.close()
    assert 'supportcenter_sessions{state="active"} 1.0' in text
    assert 'supportcenter_sessions{state="queued"} 0.0' in text
    assert "supportcenter_offers_pending 0.0" in text
    assert "supportcenter_open_sockets" in text
    assert "supportcenter_deliveries_total" in text
    assert "supportcenter_delivery_seconds_bucket" in text
    assert "supportcenter_mail_total" in text or "# TYPE supportcenter_mail counter" in text


def record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, args, None)


@pytest.mark.parametrize("path", ["/join/i/AbC-123_xyz", "/support/i/AbC-123_xyz"])
def test_no_log_line_holds_an_invitation_token(path):
    line = record('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', path)
    Redacting().filter(line)
    assert "AbC-123_xyz" not in line.getMessage() and "/i/[…]" in line.getMessage()
    assert "AbC-123_xyz" not in JsonLines().format(record("GET %s", path))


def test_json_lines_carry_the_request_id(app, client):
    seen = []
    with app.test_request_context("/join/i/AbC-123_xyz", headers={"X-Request-ID": "proxy-42"}):
        app.preprocess_request()
        seen.append(json.loads(JsonLines().format(record("something happened"))))
    assert seen[0]["request_id"] == "proxy-42"
    assert seen[0]["path"] == "/join/i/[…]" and seen[0]["level"] == "INFO"
    answer = client.get("/", headers={"X-Request-ID": "not ok <script>"})
    assert len(answer.headers["X-Request-ID"]) == 32  # a bad one is replaced


def database_gone(*_args, **_kwargs):
    raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))


def test_a_database_restart_answers_a_clear_503_not_a_traceback(app, client, login_as, monkeypatch):
    from webapp.services import sessions, users

    monkeypatch.setattr(sessions, "find_open_by_number", database_gone)
    answer = client.post("/join/", data={"number": "123456789", "name": "Kim"})
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    assert "Tjänsten är inte tillgänglig just nu" in answer.text
    assert "Traceback" not in answer.text

    rep_client = login_as(make_rep())
    monkeypatch.setattr(users, "user_for_cookie", database_gone)  # even loading the user fails
    answer = rep_client.get("/support/", headers={"HX-Request": "true"})
    assert answer.status_code == 503 and "Tjänsten är inte tillgänglig just nu" in answer.text


def test_a_redis_restart_answers_a_clear_503(app, login_as, monkeypatch):
    import redis

    rep = make_rep()
    support_session, _ = make_support_session(rep)
    client = login_as(rep)

    def redis_gone(*_args, **_kwargs):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(app.extensions["live"].presence, "expect", redis_gone)
    answer = client.get(f"/dashboard/{support_session.id}")
    assert answer.status_code == 503 and "Tjänsten är inte tillgänglig just nu" in answer.text
