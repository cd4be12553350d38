"""#13 item 3: a customer who is not there while the session waits for an
agent keeps its place QUEUE_GRACE_SECONDS, then leaves the queue; the last
one out ends the session as abandoned, and the agents' places come back at
once. Through the Live layer the presence reaper calls."""

import time

import pytest
import sqlalchemy as sa

from tests.factories import agent_session, make_agent, make_customer, offers_of
from webapp.extensions import db
from webapp.live.presence import Deadline
from webapp.models import EndReason, Offer, OfferState, SessionState, SupportSession
from webapp.services import acd, acd_transfer, agent_loads, events, queues
from webapp.services.errors import ServiceError


@pytest.fixture
def live(app):
    """In-process presence, its reaper stopped: the test hands out deadlines."""
    live = app.extensions["live"]
    live.presence.stop()
    return live


def reap(live, deadline):
    """What the reaper does with a due deadline: takes it, then hands it on."""
    live.presence._deadlines.pop(deadline.participant_id, None)
    live._participant_gone(deadline)


def page_went(live, seat, set_at=None):
    reap(live, Deadline(seat.id, seat.support_session_id, set_at or time.time()))


def queue_grace_over(live, seat, set_at=None):
    reap(live, Deadline(seat.id, seat.support_session_id, set_at or time.time(), held=True))


def held_deadline(live, seat):
    entry = live.presence._deadlines.get(seat.id)
    return entry[1] if entry and entry[1].held else None


def requested(queue, name="Kim"):
    customer, _secret = acd_transfer.request_help(queue.id, name, "kim@example.com", "Skrivaren")
    return customer


def session_of(seat):
    db.session.expire_all()
    return db.session.get(SupportSession, seat.support_session_id)


def test_a_waiting_customer_whose_page_went_keeps_the_place_past_the_page_grace(app, live):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue)
    went = time.time()

    page_went(live, kim, went)

    support_session = session_of(kim)
    assert support_session.state == SessionState.QUEUED
    assert kim.left_at is None and len(offers_of(agent)) == 1
    held = held_deadline(live, kim)
    assert held is not None and held.set_at == went  # counted from when the page went
    assert live.presence._deadlines[kim.id][0] == went + app.config["QUEUE_GRACE_SECONDS"]


def test_after_the_queue_grace_the_session_ends_abandoned_and_the_agent_gets_waiting_work(
    app, live
):
    agent = make_agent(acd_capacity=1)
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue, "Kim")
    ola = requested(queue, "Ola")  # waits behind Kim: the agent has no room
    assert [o.support_session_id for o in offers_of(agent)] == [kim.support_session_id]

    queue_grace_over(live, kim)

    support_session = session_of(kim)
    assert support_session.state == SessionState.ENDED
    assert support_session.end_reason == EndReason.ABANDONED
    assert kim.left_reason == "gone"
    assert len(offers_of(agent, OfferState.WITHDRAWN)) == 1
    # The place came back and went at once to the session that waited.
    assert [o.support_session_id for o in offers_of(agent)] == [ola.support_session_id]
    assert held_deadline(live, kim) is None


def test_one_customer_gone_leaves_the_queue_and_the_session_waits_for_the_other(app, live):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue)
    ola = make_customer(session_of(kim), "Ola")
    queue_grace_over(live, kim)
    support_session = session_of(kim)
    assert support_session.state == SessionState.QUEUED
    assert kim.left_at is not None and ola.left_at is None
    assert len(offers_of(agent)) == 1


@pytest.mark.parametrize("lost", [1, 2], ids=["leaving", "ending"])
def test_a_lost_compare_and_set_is_tried_again_not_dropped(app, live, monkeypatch, lost):
    """Why cf2989c reverted the first try: the customer's seat (or the end of
    the session after it) lost to another writer, and nothing tried again."""
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue)
    bump_version, calls = events.bump_version, []

    def racing(support_session):
        calls.append(support_session.id)
        if len(calls) == lost:
            db.session.rollback()
            raise ServiceError("changed at the same moment", 409)
        bump_version(support_session)

    monkeypatch.setattr(events, "bump_version", racing)
    went = time.time()
    queue_grace_over(live, kim, went)
    assert session_of(kim).state == SessionState.QUEUED
    retry = held_deadline(live, kim)
    assert retry is not None and retry.set_at == went
    # At the reaper's next turn: the grace counted from `went` is over.
    assert live.presence._deadlines[kim.id][0] == went + app.config["QUEUE_GRACE_SECONDS"]

    queue_grace_over(live, kim, retry.set_at)
    assert session_of(kim).end_reason == EndReason.ABANDONED
    assert offers_of(agent) == [] and held_deadline(live, kim) is None


def test_an_agent_who_took_the_session_meanwhile_keeps_its_customer(app, live):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue)
    page_went(live, kim)
    acd.accept_offer(agent, offers_of(agent)[0].id)
    queue_grace_over(live, kim)
    support_session = session_of(kim)
    assert support_session.state == SessionState.ACTIVE and kim.left_at is None


def test_staff_and_active_sessions_get_the_page_grace_only(app, live):
    support_session, seat = agent_session()
    kim = next(p for p in support_session.participants if p.role == "customer")
    page_went(live, kim)
    page_went(live, seat)  # the controller: R1.5 ends the session
    assert held_deadline(live, kim) is None
    assert session_of(seat).end_reason == "controller_gone"


def test_an_ended_sessions_offers_go_in_the_same_commit_as_its_end(app, monkeypatch):
    """If what follows the end fails, no agent's place stays held by it."""
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue)

    def fails(*args):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(acd, "after_seats_closed", fails)
    with pytest.raises(RuntimeError):
        acd_transfer.sessions.end_abandoned(session_of(kim))
    db.session.rollback()
    assert session_of(kim).state == SessionState.ENDED
    offer = db.session.scalar(sa.select(Offer))
    assert offer.state == OfferState.WITHDRAWN
    assert agent_loads.loads([agent])[0].room == agent.acd_capacity


def test_a_waiting_customer_that_presence_forgot_is_expected_again(app, live):
    """A restart forgets in-process deadlines; the sweep finds customers who
    wait with no socket and no deadline, and only those."""
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    kim = requested(queue, "Kim")
    ola = requested(queue, "Ola")
    agent_session()  # a customer in an active session is not waiting
    live.presence._deadlines.clear()
    live.presence.connect(ola.id, ola.support_session_id, "ola's page")

    live._expect_waiting_customers()

    assert set(live.presence._deadlines) == {kim.id}
