"""What the fuzz drills found (#13 item 8), each fixed and pinned here: chat
lines keep no control characters, a message nested past Python's recursion
limit is dropped as malformed, and a customer's cookie keeps its newest seats
within what a browser stores.

These tests build their own small world: under TEST_DATABASE_URL every app
shares one database, which a module's fuzz world must not share with them.
"""

import json
import logging

import pytest
import sqlalchemy as sa

from tests.factories import make_rep
from tests.security.fuzz import RecordingSocket, has_controls, logged_errors
from webapp.extensions import db
from webapp.live.connection import SessionConnection
from webapp.models import ChatMessage
from webapp.services import queues, sessions


@pytest.fixture
def customer_page(drill_app):
    support_session, _ = sessions.start_session(make_rep())
    customer, _ = sessions.join_as_customer(support_session, "Kim Kund")
    with drill_app.test_request_context():
        yield SessionConnection(RecordingSocket(), support_session.id, customer.id, "sv")


def said(page: SessionConnection, raw) -> None:
    page._handle([{"kind": "incoming", "data": raw}])


def test_a_chat_line_keeps_no_control_characters(customer_page):
    said(customer_page, json.dumps({"message": "Hej\x00 \x1b[2J\u202edå"}))
    [text] = db.session.scalars(sa.select(ChatMessage.text))
    assert not has_controls(text, line_breaks=True)


def test_a_deeply_nested_socket_message_is_dropped_as_malformed(customer_page, caplog):
    with caplog.at_level(logging.WARNING):
        said(customer_page, "[" * 30_000 + "]" * 30_000)
        said(customer_page, json.dumps({"message": "Fortfarande här"}))
    assert db.session.scalars(sa.select(ChatMessage.text)).all() == ["Fortfarande här"]
    assert not logged_errors(caplog)


@pytest.mark.filterwarnings("ignore:The 'session' cookie is too large")
def test_a_customer_cookie_stays_within_what_a_browser_keeps(drill_app):
    client = drill_app.test_client()
    queue = queues.create_queue("Första linjen", [make_rep(role="agent").email])
    form = {"queue": queue.id, "name": "Kim", "email": "kim@example.com", "problem": "Hjälp"}
    for _ in range(150):
        assert client.post("/request", data=form).status_code == 302
    assert len("session=" + client.get_cookie("session").value) <= 4093
