"""WebACD services (R6): transfer, routing order, capacity, availability, races."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    agent_session,
    event_kinds,
    make_agent,
    make_customer,
    make_rep,
    make_support_session,
    offers_of,
)
from tests.helpers import run_together
from webapp.extensions import db
from webapp.models import (
    Activity,
    ActivityKind,
    Offer,
    OfferState,
    Participant,
    SessionState,
    SupportSession,
    User,
)
from webapp.models.base import utcnow
from webapp.services import acd, acd_transfer, activities, availability, queues, sessions
from webapp.services.errors import ServiceError


def test_transfer_to_queue_hands_over_and_offers_the_longest_idle_agent(app):
    busy = make_agent("Busy", idle_since=utcnow())
    never_idle = make_agent("Never had work")  # idle_since None counts as longest idle
    queue = queues.create_queue("Första linjen", [busy.email, never_idle.email])
    support_session, seat = agent_session()
    activities.start_activity(seat, "voice")

    done = acd_transfer.transfer_to_queue(seat, queue.id, "Kunden vill\r\nbyta plan")

    db.session.refresh(support_session)
    assert support_session.state == SessionState.QUEUED
    assert support_session.controller_id is None
    assert support_session.transfer_message == "Kunden vill\nbyta plan"
    assert db.session.get(Participant, seat.id).left_reason == "transferred"
    # R6.4: every activity ends, the voice call too.
    assert all(a.ended_at for a in db.session.scalars(sa.select(Activity)))
    assert [o.agent_id for o in done.offers] == [never_idle.id]
    assert offers_of(never_idle)[0].message == "Kunden vill\nbyta plan"
    assert offers_of(busy) == []
    assert "transferred_to_acd" in event_kinds(support_session)


def test_longest_idle_goes_first_and_a_busy_agent_comes_after_an_idle_one(app):
    earlier = make_agent("Earlier", idle_since=utcnow().replace(year=2020))
    later = make_agent("Later", idle_since=utcnow())
    loaded = make_agent("Loaded", idle_since=utcnow().replace(year=2010))
    make_support_session(loaded)  # one session already: not idle
    queue = queues.create_queue("Q", [later.email, earlier.email, loaded.email])
    first = acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    second = acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    third = acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    assert [t.offers[0].agent_id for t in (first, second, third)] == [
        earlier.id,
        later.id,
        loaded.id,
    ]


def test_an_agent_at_capacity_is_not_offered_more_and_the_session_waits(app):
    agent = make_agent("Only", acd_capacity=1)
    queue = queues.create_queue("Q", [agent.email])
    first = acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    waiting_session, seat = agent_session()
    second = acd_transfer.transfer_to_queue(seat, queue.id, None)
    assert len(first.offers) == 1 and second.offers == []
    assert acd.queue_place(db.session.get(SupportSession, waiting_session.id)) == 2

    # Accepting fills the agent; ending that session frees it and the waiting one comes.
    accepted = acd.accept_offer(agent, first.offers[0].id)
    assert offers_of(agent) == []
    assert acd.queue_place(db.session.get(SupportSession, waiting_session.id)) == 1
    sessions.end_session(db.session.get(SupportSession, accepted.id).controller)
    assert [o.support_session_id for o in offers_of(agent)] == [waiting_session.id]


def test_accept_gives_control_and_withdraws_the_other_offers(app):
    anna, bert = make_agent("Anna"), make_agent("Bert")
    support_session, seat = agent_session()
    done = acd_transfer.transfer_to_agents(seat, [anna.id, bert.id], "Hej")
    assert sorted(o.agent_id for o in done.offers) == sorted([anna.id, bert.id])

    acd.accept_offer(bert, offers_of(bert)[0].id)

    db.session.refresh(support_session)
    assert support_session.state == SessionState.ACTIVE
    assert support_session.controller.user_id == bert.id
    assert support_session.controller.role == "rep"
    assert offers_of(anna) == [] and len(offers_of(anna, OfferState.WITHDRAWN)) == 1
    with pytest.raises(ServiceError) as refused:
        acd.accept_offer(anna, offers_of(anna, OfferState.WITHDRAWN)[0].id)
    assert refused.value.status == 409


def test_two_agents_accepting_at_once_one_wins(app):
    anna, bert = make_agent("Anna"), make_agent("Bert")
    support_session, seat = agent_session()
    acd_transfer.transfer_to_agents(seat, [anna.id, bert.id], None)
    pairs = [(anna.id, offers_of(anna)[0].id), (bert.id, offers_of(bert)[0].id)]

    def accept(agent_id, offer_id):
        def action():
            acd.accept_offer(db.session.get(User, agent_id), offer_id)
            return "won"

        return action

    outcomes = run_together(app, *(accept(*pair) for pair in pairs))
    assert sorted(outcomes, key=str) == [409, "won"]
    db.session.expire_all()
    reps = [p for p in support_session.participants if p.role == "rep" and p.left_at is None]
    assert len(reps) == 1


def test_going_away_passes_offers_on_and_coming_back_gets_waiting_work(app):
    anna = make_agent("Anna", idle_since=utcnow().replace(year=2020))
    bert = make_agent("Bert", idle_since=utcnow())
    queue = queues.create_queue("Q", [anna.email, bert.email])
    acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    assert len(offers_of(anna)) == 1

    availability.set_availability(anna, False)
    assert offers_of(anna) == [] and len(offers_of(bert)) == 1

    availability.set_availability(bert, False)  # nobody left: the session waits
    assert offers_of(bert) == []
    availability.set_availability(anna, True)
    assert len(offers_of(anna)) == 1


def test_a_new_agent_starts_available(app):
    assert make_agent().available is True


@pytest.mark.parametrize("length, refused", [(345, False), (346, True)])
def test_message_limit_is_345_and_a_refusal_changes_nothing(app, length, refused):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    support_session, seat = agent_session()
    if refused:
        with pytest.raises(ServiceError) as error:
            acd_transfer.transfer_to_queue(seat, queue.id, "å" * length)
        assert error.value.status == 400 and error.value.field == "message"
        db.session.rollback()
        db.session.refresh(support_session)
        assert support_session.state == SessionState.ACTIVE
        assert support_session.controller_id == seat.id
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0
    else:
        acd_transfer.transfer_to_queue(seat, queue.id, "å" * length)
        assert offers_of(agent)[0].message == "å" * length


def test_refusals_non_agent_empty_or_unknown_queue_no_agents(app):
    agent = make_agent()
    full = queues.create_queue("Full", [agent.email])
    empty = queues.create_queue("Empty")
    rep_session, rep_seat = make_support_session(make_rep(role="rep"))
    with pytest.raises(ServiceError) as error:
        acd_transfer.transfer_to_queue(rep_seat, full.id, None)
    assert error.value.status == 403
    _, seat = agent_session()
    for queue_id in (empty.id, 9999, None):
        with pytest.raises(ServiceError) as error:
            acd_transfer.transfer_to_queue(seat, queue_id, None)
        assert error.value.field == "queue"
    with pytest.raises(ServiceError) as error:
        acd_transfer.transfer_to_agents(seat, [], None)
    assert error.value.field == "agents"
    with pytest.raises(ServiceError):
        acd_transfer.transfer_to_agents(seat, [rep_session.started_by_id], None)  # not an agent
    availability.set_availability(agent, False)
    with pytest.raises(ServiceError) as error:
        acd_transfer.transfer_to_agents(seat, [agent.id], None)
    assert error.value.status == 409
    db.session.rollback()
    assert db.session.get(SupportSession, seat.support_session_id).state == SessionState.ACTIVE


def test_only_the_controller_transfers(app):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    support_session, _seat = agent_session()
    assistant = sessions.assist(make_agent("Assisting"), support_session)
    with pytest.raises(ServiceError) as error:
        acd_transfer.transfer_to_queue(assistant, queue.id, None)
    assert error.value.status == 403


def test_customer_request_waits_in_the_queue_and_is_offered(app):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    customer, secret = acd_transfer.request_help(queue.id, "Kim", "kim@example.com", "Skrivaren")
    support_session = customer.support_session
    assert support_session.state == SessionState.QUEUED
    assert sessions.customer_by_secret(support_session.id, secret).id == customer.id
    assert support_session.started_by is None  # no rep started it
    assert support_session.helped_participant_id == customer.id  # R3.1
    assert offers_of(agent)[0].message == "Skrivaren"
    with pytest.raises(ServiceError) as error:
        acd_transfer.request_help(queue.id, "Kim", "kim@example.com", "")
    assert error.value.field == "problem"
    with pytest.raises(ServiceError) as error:
        acd_transfer.request_help(queues.create_queue("Empty").id, "Kim", "k@example.com", "x")
    assert error.value.field == "queue"


def test_create_queue_refuses_non_agents_and_duplicates(app):
    rep = make_rep()
    with pytest.raises(ServiceError):
        queues.create_queue("Q", [rep.email])
    queues.create_queue("Q")
    with pytest.raises(ServiceError) as error:
        queues.create_queue(" Q ")
    assert error.value.status == 409


def test_capacity_bounds_and_growth_routes_waiting_work(app):
    agent = make_agent(acd_capacity=1)
    queue = queues.create_queue("Q", [agent.email])
    acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    assert len(offers_of(agent)) == 1
    with pytest.raises(ServiceError):
        queues.set_capacity(agent, 0)
    queues.set_capacity(agent, 2)
    assert len(offers_of(agent)) == 2


def test_voice_call_is_among_the_ended_activities(app):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    support_session, seat = agent_session()
    customer = support_session.participants[1]
    activities.start_activity(customer, "voice")
    acd_transfer.transfer_to_queue(seat, queue.id, None)
    voice = db.session.scalar(sa.select(Activity).where(Activity.kind == ActivityKind.VOICE))
    assert voice.ended_at is not None and voice.end_reason == "transferred"
    # While it waits there is nobody to share with.
    with pytest.raises(ServiceError) as refused:
        activities.start_activity(customer, "desktop_sharing")
    assert refused.value.status == 409


def test_a_waiting_session_everyone_left_ends_and_its_offer_goes(app):
    agent = make_agent()
    queue = queues.create_queue("Q", [agent.email])
    support_session, seat = agent_session()
    acd_transfer.transfer_to_queue(seat, queue.id, None)
    assert len(offers_of(agent)) == 1
    customer = next(p for p in support_session.participants if p.role == "customer")
    sessions.leave(customer)
    db.session.refresh(support_session)
    assert support_session.state == SessionState.ENDED
    assert support_session.end_reason == "abandoned"
    assert offers_of(agent) == []


def test_accept_counts_the_waiting_customers_against_the_agents_cap(app):
    agent = make_agent(customer_cap=1)
    queue = queues.create_queue("Q", [agent.email])
    own_session, _ = make_support_session(agent)
    make_customer(own_session)
    done = acd_transfer.transfer_to_queue(agent_session()[1], queue.id, None)
    with pytest.raises(ServiceError) as refused:
        acd.accept_offer(agent, done.offers[0].id)
    assert refused.value.status == 409
    assert offers_of(agent)[0].id == done.offers[0].id  # still on offer


def test_the_transferring_agent_is_never_offered_its_own_session_back(app):
    """R6.4: Anna hands her session to a queue she is in herself; with the
    only other agent away, it waits instead of coming back to her, also after
    she frees up and when she comes back from Borta."""
    anna = make_agent("Anna")
    bert = make_agent("Bert", available=False)
    queue = queues.create_queue("Q", [anna.email, bert.email])
    support_session, seat = agent_session(anna)
    acd_transfer.transfer_to_queue(seat, queue.id, None)
    availability.set_availability(anna, False)
    availability.set_availability(anna, True)
    assert offers_of(anna) == []
    availability.set_availability(bert, True)
    assert [o.support_session_id for o in offers_of(bert)] == [support_session.id]
