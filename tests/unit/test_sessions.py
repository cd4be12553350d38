"""Session lifecycle through the services, with explicit actors (R1, R2.5, R1.5)."""

import pytest
import sqlalchemy as sa

from tests.factories import event_kinds, make_customer, make_rep, make_support_session
from webapp.extensions import db
from webapp.models import SessionState
from webapp.services import events, sessions
from webapp.services.errors import ServiceError


def test_start_makes_the_rep_controller_with_a_nine_digit_number(app):
    rep = make_rep("Rut")
    support_session, seat = sessions.start_session(rep)
    assert support_session.state == SessionState.ACTIVE
    assert len(support_session.number) == 9 and support_session.number.isdigit()
    assert support_session.number[0] != "0"
    assert support_session.controller_id == seat.id
    assert support_session.grouped_number == (
        f"{support_session.number[:3]} {support_session.number[3:6]} {support_session.number[6:]}"
    )
    assert event_kinds(support_session) == ["started"]


def test_session_numbers_differ(app):
    rep = make_rep()
    numbers = {sessions.start_session(rep)[0].number for _ in range(20)}
    assert len(numbers) == 20


@pytest.mark.parametrize("typed", ["{n}", "{g}", " {g} "])
def test_find_by_number_accepts_grouped_input(app, typed):
    support_session, _ = make_support_session()
    number = support_session.number
    grouped = support_session.grouped_number
    assert sessions.find_open_by_number(typed.format(n=number, g=grouped)) == support_session


@pytest.mark.parametrize("typed", ["", "12345678", "1234567890", "abcdefghi", "000000000"])
def test_unknown_numbers_get_one_message(app, typed):
    with pytest.raises(ServiceError) as refused:
        sessions.find_open_by_number(typed)
    assert refused.value.status == 404


def test_ended_number_reads_like_an_unknown_one(app):
    support_session, rep_seat = make_support_session()
    sessions.end_session(rep_seat)
    with pytest.raises(ServiceError) as ended:
        sessions.find_open_by_number(support_session.number)
    with pytest.raises(ServiceError) as unknown:
        sessions.find_open_by_number("999999999")
    assert str(ended.value.message) == str(unknown.value.message)


def test_customer_joins_and_is_found_only_by_its_secret(app):
    support_session, _ = make_support_session()
    customer, secret = sessions.join_as_customer(support_session, "  Kim   Kund ")
    assert customer.name == "Kim Kund"
    assert customer.secret_hash != secret
    assert sessions.customer_by_secret(support_session.id, secret) == customer
    assert sessions.customer_by_secret(support_session.id, secret + "x") is None
    assert event_kinds(support_session) == ["started", "joined"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_names_are_refused_and_change_nothing(app, name):
    support_session, _ = make_support_session()
    with pytest.raises(ServiceError) as refused:
        sessions.join_as_customer(support_session, name)
    assert refused.value.field == "name"
    assert len(support_session.participants) == 1


def test_only_the_controller_ends_and_everyone_leaves_with_it(app):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    with pytest.raises(ServiceError) as refused:
        sessions.end_session(customer)
    assert refused.value.status == 403
    sessions.end_session(rep_seat)
    assert support_session.state == SessionState.ENDED
    assert support_session.end_reason == "ended_by_rep"
    assert all(p.left_at is not None for p in support_session.participants)
    assert event_kinds(support_session)[-1] == "ended"
    with pytest.raises(ServiceError):
        sessions.join_as_customer(support_session, "Late")


def test_controller_cannot_leave_but_a_customer_can(app):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    with pytest.raises(ServiceError):
        sessions.leave(rep_seat)
    sessions.leave(customer)
    assert customer.left_at is not None
    assert support_session.present_participants() == [rep_seat]


def test_presence_expiry_ends_only_when_the_controller_is_gone(app):
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    assert not sessions.participant_gone(support_session.id, customer.id)
    assert support_session.is_open
    assert sessions.participant_gone(support_session.id, rep_seat.id)
    db.session.refresh(support_session)
    assert support_session.end_reason == "controller_gone"
    assert not sessions.participant_gone(support_session.id, rep_seat.id)


def test_stale_version_loses_the_race(app):
    support_session, rep_seat = make_support_session()
    assert support_session.version == 1  # this request has read the row
    # ... and then another writer changes it.
    db.session.execute(
        sa.update(type(support_session))
        .values(version=99)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(ServiceError) as lost:
        sessions.end_session(rep_seat)
    assert lost.value.status == 409
    db.session.refresh(support_session)
    assert support_session.is_open


def test_assist_adds_an_assistant_once(app):
    support_session, _ = make_support_session()
    helper = make_rep("Helge")
    seat = sessions.assist(helper, support_session)
    assert seat.role == "assistant"
    assert sessions.assist(helper, support_session) == seat
    assert not seat.is_controller


def test_events_are_published_only_after_commit(app):
    support_session, _ = make_support_session()
    subscription = app.extensions["live"].bus.subscribe(support_session.id)
    make_customer(support_session)
    assert subscription.get(timeout=1)["kind"] == "joined"
    events.record(support_session, "joined")
    db.session.rollback()
    assert subscription.get(timeout=0.2) is None
