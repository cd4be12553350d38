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


def test_lines_from_sockets_at_once_all_persist_on_one_unbroken_audit_chain(app):
    """#18: a socket's line reads its seat and locks the chain in one query;
    lines written at the same moment must still chain one after the other."""
    import sqlalchemy as sa

    from tests.helpers import run_together
    from webapp.extensions import db
    from webapp.models import SessionEvent, SupportSession
    from webapp.services import activities, audit

    support_session, rep_seat = make_support_session()
    seats = [rep_seat.id, *(make_customer(support_session, f"Kund {i}").id for i in range(3))]
    support_session_id = support_session.id

    def say(seat_id, text):
        return lambda: chat.post_from_seat(seat_id, text).text

    said = run_together(app, *(say(seat, f"Rad {seat}") for seat in seats))
    assert sorted(said) == sorted(f"Rad {seat}" for seat in seats)
    db.session.expire_all()
    assert len(chat.recent_messages(support_session_id)) == len(seats)
    assert audit.verify_session(db.session.get(SupportSession, support_session_id)).verified
    # Each was the session's first line when it read its seat: Chatt starts once.
    assert [activity.kind for activity in activities.running(support_session_id)] == ["chat"]
    started = db.session.scalars(
        sa.select(SessionEvent.kind).where(
            SessionEvent.support_session_id == support_session_id,
            SessionEvent.kind == "activity_started",
        )
    )
    assert len(list(started)) == 1


def test_a_seat_that_left_or_never_was_cannot_chat_from_its_socket(app):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    sessions.leave(customer)
    for seat_id in (customer.id, 999_999):
        with pytest.raises(ServiceError) as refused:
            chat.post_from_seat(seat_id, "still here?")
        assert refused.value.status == 403
    with pytest.raises(ServiceError) as refused:
        chat.post_from_seat(rep_seat.id, "   ")
    assert refused.value.field == "message"
    sessions.end_session(rep_seat)
    with pytest.raises(ServiceError):
        chat.post_from_seat(rep_seat.id, "bye")
    assert chat.recent_messages(support_session.id) == []


def test_a_line_from_a_socket_costs_two_statements_on_postgresql(app):
    """#18: the seat check, the chain's lock, Chatt's state and the line's id
    are one statement; the line, its event and the chain's head another. The
    session's first line also starts Chatt, in two more. On SQLite the same
    line goes the general way (post_message)."""
    from tests.helpers import on_postgresql, queries_on_this_thread
    from webapp.extensions import db
    from webapp.models import ActivityKind, SupportSession
    from webapp.services import activities, audit

    support_session, rep_seat = make_support_session()
    support_session_id, seat_id = support_session.id, rep_seat.id
    heard = app.extensions["live"].bus.subscribe(support_session_id)
    with queries_on_this_thread() as first_statements:
        chat.post_from_seat(seat_id, "Den första startar Chatt")
    with queries_on_this_thread() as statements:
        line = chat.post_from_seat(seat_id, "Den andra")
    [*_, last] = chat.recent_messages(support_session_id)
    assert (last.id, last.text) == (line.id, "Den andra")
    [chatt] = activities.running(support_session_id)
    assert chatt.kind == ActivityKind.CHAT and chatt.participant_id == seat_id
    started, first, second = (heard.get(timeout=1) for _ in range(3))
    assert (started["kind"], started["activity_id"]) == ("activity_started", chatt.id)
    assert started["activity_kind"] == ActivityKind.CHAT and started["participant_id"] == seat_id
    assert (first["kind"], second["kind"], second["message_id"]) == ("chat", "chat", line.id)
    db.session.expire_all()
    assert audit.verify_session(db.session.get(SupportSession, support_session_id)).verified
    if on_postgresql():
        assert (len(first_statements), len(statements)) == (4, 2)
