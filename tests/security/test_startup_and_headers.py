"""#13 items 1 and 6: production cannot start with a forgeable key, cookies
and headers keep a browser safe, and no request body is read past its limit."""

import os
import socket
import subprocess

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import IsolatedClient, database_url, make_config
from tests.e2e.cluster import ROOT, VENV_BIN
from tests.factories import make_rep, make_support_session
from webapp import create_app
from webapp.config import (
    ConfigError,
    ProductionConfig,
    cookies_secure,
    secret_key,
    secret_key_fallbacks,
)
from webapp.extensions import db
from webapp.services.users import create_user

STRONG_KEY = "k" * 48


def production(tmp_path, **settings):
    config = type(
        "Production",
        (ProductionConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "REDIS_URL": None,
            "SECRET_KEY": STRONG_KEY,
            "RATELIMIT_STORAGE_URI": "memory://",
            **settings,
        },
    )
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def production_app(tmp_path):
    app = production(tmp_path)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
    app.extensions["live"].stop()


@pytest.mark.parametrize(
    "key, said",
    [
        (None, "SECRET_KEY is not set"),
        ("dev-only-change-me", "published example"),
        ("short-but-random-31-bytes-xxxxx", "shorter than 32 bytes"),
    ],
)
def test_production_refuses_a_key_anyone_could_sign_with(tmp_path, key, said):
    with pytest.raises(ConfigError, match=said):
        production(tmp_path, SECRET_KEY=key)


def test_gunicorn_and_the_cli_stop_with_one_line_without_a_key(tmp_path):
    env = {**os.environ, "SECRET_KEY_FILE": str(tmp_path / "none")}
    env.pop("SECRET_KEY", None)
    started = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "routes"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert started.returncode == 3
    assert started.stderr.startswith("Supportcenter will not start: SECRET_KEY is not set")
    assert len(started.stderr.strip().splitlines()) == 1


def test_the_key_make_run_keeps_in_instance_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text(STRONG_KEY + "\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    assert secret_key() == STRONG_KEY
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-" + "x" * 32)
    assert secret_key().startswith("from-the-environment-")


def test_a_cookie_forged_with_the_development_key_opens_no_admin_page(production_app):
    admin = make_rep(role="admin")
    forger = Flask("forger")
    forger.secret_key = "dev-only-change-me"
    forged = (
        SecureCookieSessionInterface()
        .get_signing_serializer(forger)
        .dumps({"_user_id": str(admin.id), "_fresh": True})
    )
    client = production_app.test_client()
    client.set_cookie("session", forged, domain="localhost")
    response = client.get("/admin/settings", base_url="https://localhost")
    assert response.status_code == 302 and "/login" in response.location


def test_production_cookies_are_secure_httponly_and_lax(production_app):
    client = production_app.test_client()
    user = make_rep()
    response = client.post(
        "/login",
        data={"email": user.email, "password": "password123"},
        base_url="https://localhost",
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "base_url, production, secure",
    [
        ("https://support.example.com", False, True),
        ("https://support.example.com", True, True),
        ("", True, True),
        ("http://127.0.0.1:5000", True, False),
        ("", False, False),
    ],
)
def test_cookies_are_secure_for_https_and_in_production(monkeypatch, base_url, production, secure):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert cookies_secure(base_url, production) is secure
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")  # `make run` on loopback says so
    assert cookies_secure(base_url, production) is False


@pytest.mark.parametrize("path", ["/", "/join/", "/login", "/request", "/no-such-page"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "media-src 'self' blob:" in policy and "frame-ancestors 'self'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_pages_behind_a_login_or_a_seat_are_never_stored(app, login_as):
    rep = make_rep()
    support_session, _ = make_support_session(rep)
    client = login_as(rep)
    response = client.get(f"/dashboard/{support_session.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_a_forwarded_host_is_not_trusted_unless_configured(tmp_path):
    from tests.factories import make_support_session as start

    for trusted, expected in ((False, "localhost"), (True, "evil.example")):
        app = create_app(
            make_config(
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/proxy-{trusted}.sqlite",
                TRUSTED_PROXY_HOPS=1,
                TRUSTED_PROXY_HOST=trusted,
            )
        )
        app.test_client_class = IsolatedClient
        with app.app_context():
            db.create_all()
            rep = make_rep()
            support_session, _ = start(rep)
            client = app.test_client()
            client.post("/login", data={"email": rep.email, "password": "password123"})
            client.environ_base["HTTP_X_FORWARDED_HOST"] = "evil.example"
            page = client.post(
                f"/dashboard/{support_session.id}/invite",
                data={"role": "customer", "locale": "sv", "copy_link": "1"},
                headers={"HX-Request": "true"},
            ).text
            assert f'value="http://{expected}/join/i/' in page
        app.extensions["live"].stop()


def test_a_huge_anonymous_post_is_refused_before_it_is_read(live_server):
    """The review's 300 MiB POST to /join/: the answer comes after 64 KiB."""
    host, port = live_server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /join/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {300 * 1024 * 1024}\r\n\r\n".encode()
            + b"number=1&name=" + b"x" * 65536
        )  # fmt: skip
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_retired_keys_come_from_the_environment_and_must_be_as_strong(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", f"{'a' * 40}, {'b' * 40}")
    assert secret_key_fallbacks() == ["a" * 40, "b" * 40]
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS holds a key that is shorter"):
        production(tmp_path, SECRET_KEY_FALLBACKS=["old-and-short"])


def test_a_staff_login_survives_a_key_rotation_with_the_old_key_retired(tmp_path):
    """After SECRET_KEY changes, a rep signed in under the old key stays signed
    in while it is among SECRET_KEY_FALLBACKS, and is asked to log in without it."""
    old, new = "o" * 48, "n" * 48

    def app_with(**keys):
        return production(tmp_path, WTF_CSRF_ENABLED=False, **keys)

    before = app_with(SECRET_KEY=old)
    with before.app_context():
        db.create_all()
        create_user("rut@example.com", "Rut Rep", "rep", "password123")
        client = before.test_client()
        client.post("/login", data={"email": "rut@example.com", "password": "password123"})
        assert client.get("/support/").status_code == 200
        cookie = client.get_cookie("session")
    before.extensions["live"].stop()

    for fallbacks, status in (([old], 200), ([], 302)):
        after = app_with(SECRET_KEY=new, SECRET_KEY_FALLBACKS=fallbacks)
        with after.app_context():
            rotated = after.test_client()
            rotated.set_cookie("session", cookie.value, domain=cookie.domain)
            assert rotated.get("/support/").status_code == status
        after.extensions["live"].stop()
