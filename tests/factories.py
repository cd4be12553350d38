"""Builders for test data; defaults overridable, as in Indico's fixtures."""

import itertools

from webapp.models import Participant, SupportSession, User
from webapp.services import sessions
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
