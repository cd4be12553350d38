"""Recording asks the customers first (#16 item 4): nothing is recorded until
every customer present allowed; a denial, a withdrawal or a newcomer stops
it; each decision is a link of the audit chain."""

import pytest

from tests.factories import event_kinds, make_customer, make_support_session
from webapp.extensions import db
from webapp.models import ActivityKind, SessionFile
from webapp.services import activities, audit, consent, recordings, sessions
from webapp.services.errors import ServiceError


def sharing_session():
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session, "Kim")
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    return support_session, rep_seat, kim


def record(rep_seat):
    return activities.start_activity(rep_seat, ActivityKind.RECORDING)


def test_nothing_records_until_every_customer_present_allowed(app):
    support_session, rep_seat, kim = sharing_session()
    ada = make_customer(support_session, "Ada")
    with pytest.raises(ServiceError) as refused:
        record(rep_seat)
    assert refused.value.status == 403
    assert consent.ask(rep_seat) == consent.WAITING
    assert consent.asked_ids(support_session) == {kim.id, ada.id}
    consent.answer(kim, allow=True)
    with pytest.raises(ServiceError):
        record(rep_seat)  # Ada has not answered
    consent.answer(ada, allow=True)
    assert consent.view(support_session).state == consent.ALLOWED
    assert record(rep_seat).kind == ActivityKind.RECORDING
    kinds = event_kinds(support_session)
    assert kinds.count("consent_asked") == 2 and kinds.count("consent_allowed") == 2
    assert audit.verify_session(support_session).verified


def test_a_denial_tells_the_rep_and_records_nothing(app):
    support_session, rep_seat, kim = sharing_session()
    consent.ask(rep_seat)
    consent.answer(kim, allow=False)
    assert consent.view(support_session).state == consent.DENIED
    with pytest.raises(ServiceError):
        record(rep_seat)
    with pytest.raises(ServiceError) as again:
        consent.answer(kim, allow=True)  # answered already; the rep must ask again
    assert again.value.status == 409
    assert consent.ask(rep_seat) == consent.WAITING  # asking again asks Kim again
    consent.answer(kim, allow=True)
    assert record(rep_seat).is_running
    assert "consent_denied" in event_kinds(support_session)


def test_a_withdrawal_ends_the_recording_and_refuses_its_next_part(app):
    support_session, rep_seat, kim = sharing_session()
    consent.ask(rep_seat)
    consent.answer(kim, allow=True)
    recording = record(rep_seat)
    first = recordings.receive(rep_seat, recording.id, recordings.Chunk(0, b"we", 500), "sv")
    consent.withdraw(kim)
    assert recording.end_reason == "consent_withdrawn"
    assert consent.view(support_session).state == consent.WITHDRAWN
    with pytest.raises(ServiceError) as refused:
        recordings.receive(rep_seat, recording.id, recordings.Chunk(2, b"bm", 900), "sv")
    assert refused.value.status == 403
    db.session.rollback()
    assert db.session.get(SessionFile, first.id).size == 2  # what was allowed stays
    recordings.receive(rep_seat, recording.id, None, "sv")  # the recorder's stop is taken
    with pytest.raises(ServiceError):
        consent.withdraw(kim)  # nothing left to withdraw
    assert "consent_withdrawn" in event_kinds(support_session)


def test_a_customer_who_joins_a_recording_stops_it_and_is_asked(app):
    support_session, rep_seat, kim = sharing_session()
    consent.ask(rep_seat)
    consent.answer(kim, allow=True)
    recording = record(rep_seat)
    ada = make_customer(support_session, "Ada")
    assert recording.end_reason == "consent_missing"
    assert consent.asked_ids(support_session) == {ada.id}
    assert consent.view(support_session).state == consent.WAITING
    consent.answer(ada, allow=True)
    assert record(rep_seat).is_running  # Kim's consent still holds


def test_only_the_controller_asks_and_only_a_customer_answers(app):
    _support_session, rep_seat, kim = sharing_session()
    with pytest.raises(ServiceError) as refused:
        consent.ask(kim)
    assert refused.value.status == 403
    consent.ask(rep_seat)
    with pytest.raises(ServiceError) as refused:
        consent.answer(rep_seat, allow=True)
    assert refused.value.status == 403
    with pytest.raises(ServiceError) as refused:
        consent.withdraw(rep_seat)
    assert refused.value.status == 403


def test_with_no_customer_present_nobody_is_asked(app):
    _support_session, rep_seat = make_support_session()
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    assert consent.ask(rep_seat) == consent.ALLOWED
    assert record(rep_seat).is_running


def test_a_newcomer_is_asked_while_a_customer_present_is_asked_and_not_after_they_left(app):
    support_session, rep_seat, kim = sharing_session()
    consent.ask(rep_seat)
    ada = make_customer(support_session, "Ada")  # Kim's question is open: Ada is asked too
    assert consent.asked_ids(support_session) == {kim.id, ada.id}
    sessions.leave(kim)
    sessions.leave(ada)
    ola = make_customer(support_session, "Ola")  # nobody present is asked, nothing records
    assert ola.id not in consent.asked_ids(support_session)
    assert consent.view(support_session).state == consent.NONE  # the rep asks when it is time
    assert event_kinds(support_session).count("consent_asked") == 2
