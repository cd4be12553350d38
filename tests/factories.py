"""Builders for test data; defaults overridable, as in Indico's fixtures."""

import itertools

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Offer, OfferState, Participant, SessionEvent, SupportSession, User
from webapp.services import consent, sessions
from webapp.services.users import create_user

_counter = itertools.count(1)


def make_rep(name: str | None = None, role: str = "rep", password: str = "password123") -> User:
    n = next(_counter)
    return create_user(f"rep{n}@example.com", name or f"Rep {n}", role, password)


def make_support_session(rep: User | None = None) -> tuple[SupportSession, Participant]:
    return sessions.start_session(rep or make_rep())


def make_customer(support_session: SupportSession, name: str = "Kim Kund") -> Participant:
    customer, _secret = sessions.join_as_customer(support_session, name)
    return customer


def make_agent(name=None, **fields) -> User:
    agent = make_rep(name, role="agent")
    for key, value in fields.items():
        setattr(agent, key, value)
    db.session.commit()
    return agent


def agent_session(agent=None):
    """A session in the hands of a WebACD agent, with a customer."""
    support_session, seat = make_support_session(agent or make_agent("Sara Sändare"))
    make_customer(support_session, "Kim Kund")
    return support_session, seat


def offers_of(agent, state=OfferState.PENDING):
    return list(
        db.session.scalars(sa.select(Offer).where(Offer.agent_id == agent.id, Offer.state == state))
    )


def event_kinds(support_session):
    """The kinds of the session's events, oldest first."""
    return list(
        db.session.scalars(
            sa.select(SessionEvent.kind)
            .where(SessionEvent.support_session_id == support_session.id)
            .order_by(SessionEvent.id)
        )
    )


def allow_recording(support_session: SupportSession) -> None:
    """Every customer present allows recording, as their pages would (#16 item 4)."""
    consent.ask(support_session.controller)
    asked = consent.asked_ids(support_session)
    for customer in support_session.present_participants():
        if customer.id in asked:
            consent.answer(customer, allow=True)
