"""Chatt (R7): lines persist in order; bad lines change nothing."""

import pytest

from tests.factories import make_customer, make_support_session
from webapp.services import chat, sessions
from webapp.services.errors import ServiceError


def test_lines_persist_in_order_and_publish(app):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    heard = app.extensions["live"].bus.subscribe(support_session.id)
    chat.post_message(customer, "  Hej, skärmen är svart  ")
    chat.post_message(rep_seat, "<b>Starta om</b>")
    lines = chat.recent_messages(support_session.id)
    assert [(line.author.name, line.text) for line in lines] == [
        ("Kim Kund", "Hej, skärmen är svart"),
        (rep_seat.name, "<b>Starta om</b>"),
    ]
    assert heard.get(timeout=1)["kind"] == "activity_started"  # Chatt runs from its first line
    published = heard.get(timeout=1)
    assert published["kind"] == "chat" and published["message_id"] == lines[0].id
    # The line rides along, so sockets render it without reading it back.
    assert published["line"]["author_name"] == "Kim Kund"
    assert published["line"]["text"] == "Hej, skärmen är svart"


@pytest.mark.parametrize("text", ["", "   ", "x" * (chat.CHAT_MAX + 1)])
def test_empty_or_long_lines_are_refused_and_nothing_is_kept(app, text):
    support_session, rep_seat = make_support_session()
    with pytest.raises(ServiceError) as refused:
        chat.post_message(rep_seat, text)
    assert refused.value.field == "message"
    assert chat.recent_messages(support_session.id) == []


def test_a_line_of_exactly_the_limit_is_kept(app):
    support_session, rep_seat = make_support_session()
    chat.post_message(rep_seat, "x" * chat.CHAT_MAX)
    assert len(chat.recent_messages(support_session.id)) == 1


def test_someone_who_left_or_an_ended_session_cannot_chat(app):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    sessions.leave(customer)
    with pytest.raises(ServiceError):
        chat.post_message(customer, "still here?")
    sessions.end_session(rep_seat)
    with pytest.raises(ServiceError):
        chat.post_message(rep_seat, "bye")
    assert chat.recent_messages(support_session.id) == []
