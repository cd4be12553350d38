"""A demo site for `make run` and for trying the product by hand."""

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Queue, Role, User
from webapp.services.users import create_user

DEMO_PASSWORD = "supportcenter"
DEMO_USERS = [
    ("admin@example.com", "Alva Admin", Role.ADMIN),
    ("rep1@example.com", "Rut Representant", Role.REP),
    ("rep2@example.com", "Ragnar Representant", Role.REP),
    ("agent1@example.com", "Agnes Agent", Role.AGENT),
    ("agent2@example.com", "Anton Agent", Role.AGENT),
]
DEMO_QUEUES = ["Första linjen", "Fakturor"]


def is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def seed() -> list[tuple[str, str, str]]:
    """Creates whatever demo rows are missing; returns (email, role, password)."""
    logins = []
    for email, name, role in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            create_user(email, name, role, DEMO_PASSWORD)
        logins.append((email, str(role), DEMO_PASSWORD))
    agents = list(db.session.scalars(sa.select(User).where(User.role == Role.AGENT)))
    for queue_name in DEMO_QUEUES:
        if db.session.scalar(sa.select(Queue.id).where(Queue.name == queue_name)) is None:
            db.session.add(Queue(name=queue_name, members=agents))
    db.session.commit()
    return logins
