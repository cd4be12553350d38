"""A socket delivers every chat line once, whatever order lines arrive in."""

from datetime import datetime

import pytest

from tests.factories import make_customer, make_support_session
from webapp.blueprints.live import SessionConnection
from webapp.services.chat import ChatLine


class RecordingSocket:
    connected = True

    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(data)


def chat_event(message_id, text):
    line = ChatLine(message_id, "Kim", text, datetime(2026, 11, 28, 12, 0))
    return {
        "kind": "chat",
        "event_id": message_id,
        "message_id": message_id,
        "line": line.as_dict(),
    }


@pytest.fixture
def connection(app):
    """A customer's socket connection, writing to a socket that records."""
    support_session, _ = make_support_session()
    viewer = make_customer(support_session)
    with app.test_request_context():
        yield SessionConnection(RecordingSocket(), support_session.id, viewer.id, "sv")


def test_lines_published_out_of_id_order_are_both_delivered(connection):
    # Two workers committed 11 after 10 but published 11 first.
    connection._handle([chat_event(11, "second")])
    connection._handle([chat_event(10, "first")])
    sent = connection.ws.sent
    assert len(sent) == 2
    assert "second" in sent[0] and "first" in sent[1]


def test_lines_already_in_the_history_are_not_sent_twice(connection):
    connection.chat_ids_in_log = frozenset({10})
    connection._handle([chat_event(10, "in the history"), chat_event(12, "new")])
    sent = connection.ws.sent
    assert len(sent) == 1 and "new" in sent[0]
