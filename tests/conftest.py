import contextvars
import os

import pytest
from flask.testing import FlaskClient

from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db

pytest_plugins = ["tests.e2e.fixtures"]


def make_config(**overrides) -> type:
    return type("ConfiguredTest", (TestConfig,), overrides)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as on a real server.

    The fixture keeps an app context open for factories and asserts; without
    this, requests would share its `g` and so the logged-in user and locale.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # what the test holds may have changed
        return response


def database_url(tmp_path) -> str:
    """SQLite per test by default; TEST_DATABASE_URL runs the same tests on PostgreSQL."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=database_url(tmp_path), UPLOAD_DIR=str(tmp_path / "uploads")
        )
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
    app.extensions["live"].stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client):
    def login(user, password="password123"):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return client

    return login


@pytest.fixture
def outbox(app):
    from webapp.models import OutboxMessage

    def messages():
        return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))

    return messages


def require_in_ci(reason: str) -> None:
    """With CI=true a missing browser or service fails the test instead of skipping it."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
