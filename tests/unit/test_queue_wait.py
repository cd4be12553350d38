"""The waiting customer's estimate (#17 item 4): the queue's recent median
wait, once per place in the queue; no answered session, no estimate."""

from datetime import timedelta

import pytest

from tests.factories import make_agent, make_support_session, offers_of
from webapp.extensions import db
from webapp.models import Offer, OfferState
from webapp.models.base import utcnow
from webapp.services import acd, acd_transfer, availability, queue_wait, queues
from webapp.services.queue_wait import estimate_minutes, median_wait


@pytest.fixture
def queue(app):
    return queues.create_queue("Första linjen", [make_agent("Agnes").email])


def answered(queue, *waits_in_minutes, days_ago=0):
    """Accepted offers that waited so long, answered `days_ago`."""
    agent = queue.members[0]
    support_session, _seat = make_support_session(agent)
    decided = utcnow() - timedelta(days=days_ago)
    for minutes in waits_in_minutes:
        db.session.add(
            Offer(
                support_session_id=support_session.id,
                agent_id=agent.id,
                queue_id=queue.id,
                state=OfferState.ACCEPTED,
                queued_at=decided - timedelta(minutes=minutes),
                decided_at=decided,
            )
        )
    db.session.commit()


def test_no_answered_session_means_no_estimate(queue):
    assert median_wait(queue.id, utcnow()) is None
    assert estimate_minutes(None, 2) is None


def test_the_median_resists_one_long_wait(queue):
    answered(queue, 1, 2, 2, 3, 90)
    assert median_wait(queue.id, utcnow()) == timedelta(minutes=2)


def test_only_the_last_week_counts(queue):
    answered(queue, 30, 30, 30, days_ago=8)
    answered(queue, 2)
    assert median_wait(queue.id, utcnow()) == timedelta(minutes=2)


def test_only_the_last_fifty_answers_count(queue):
    answered(queue, *[10] * 60, days_ago=2)
    answered(queue, *[1] * 50, days_ago=1)
    assert median_wait(queue.id, utcnow()) == timedelta(minutes=1)


@pytest.mark.parametrize(
    ("median_seconds", "place", "minutes"),
    [(120, 2, 4), (120, 1, 2), (10, 1, 1), (0, 3, 1), (90, 3, 5)],
)
def test_each_place_waits_about_one_median_rounded_up(median_seconds, place, minutes):
    assert estimate_minutes(timedelta(seconds=median_seconds), place) == minutes


def test_an_accepted_request_feeds_the_median(queue):
    agent = queue.members[0]
    customer, _ = acd_transfer.request_help(queue.id, "Kim", "kim@example.com", "Hjälp")
    customer.support_session.queued_at -= timedelta(minutes=3)
    offer = offers_of(agent)[0]
    offer.queued_at = customer.support_session.queued_at
    db.session.commit()
    acd.accept_offer(agent, offer.id)
    assert median_wait(queue.id, utcnow()) >= timedelta(minutes=3)


def test_the_estimate_drops_when_the_one_ahead_is_taken(queue):
    answered(queue, 2)
    agent = queue.members[0]
    agent.available = False  # nobody takes them yet: both wait
    db.session.commit()
    first, _ = acd_transfer.request_help(queue.id, "Först", "a@example.com", "Hjälp")
    second, _ = acd_transfer.request_help(queue.id, "Sedan", "b@example.com", "Hjälp")
    session = second.support_session
    facts = queue_wait.panel_facts(session, acd.queue_place(session), utcnow())
    assert (acd.queue_place(session), facts["wait_minutes"]) == (2, 4)
    assert facts["agents_busy"] is True
    availability.set_availability(agent, True)  # the first is offered and accepted
    acd.accept_offer(agent, offers_of(agent)[0].id)
    db.session.refresh(session)
    facts = queue_wait.panel_facts(session, acd.queue_place(session), utcnow())
    assert acd.queue_place(session) == 1
    assert facts["wait_minutes"] <= 2
    assert first.support_session.state == "active"
