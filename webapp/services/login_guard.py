"""Wrong passwords slow the next try, per account and per address (#13).

A guesser gets FREE_FAILURES tries at full speed; after that each failure
doubles the wait before either key is heard again, up to MAX_DELAY. A login
that succeeds clears its account's count, never the address's: a guesser
with one account of their own must not reset their budget for another's.
The answer never says which of the two is blocked.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from webapp.addresses import client_key
from webapp.extensions import db
from webapp.models import LoginFailure
from webapp.models.base import utcnow
from webapp.services.errors import ServiceError
from webapp.services.secrets_ import digest

FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def address_key(address: str | None) -> str:
    return f"address:{client_key(address)}"


def account_key(email: str) -> str:
    return f"account:{digest(email.strip().lower())}"


def check_allowed(email: str, address: str | None) -> None:
    now = utcnow()
    blocked = db.session.scalar(
        sa.select(sa.func.max(LoginFailure.blocked_until)).where(
            LoginFailure.key.in_([account_key(email), address_key(address)]),
            LoginFailure.blocked_until > now,
        )
    )
    if blocked is not None:
        seconds = max(1, int((blocked - now).total_seconds() + 0.999))
        raise ServiceError(
            _l("Too many attempts. Try again in %(seconds)d seconds.", seconds=seconds), 429
        )


def record_failure(email: str, address: str | None) -> None:
    for key in (account_key(email), address_key(address)):
        _count(key)
    db.session.commit()


def record_success(email: str) -> None:
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == account_key(email)))
    db.session.commit()


def _count(key: str) -> None:
    now = utcnow()
    row = db.session.get(LoginFailure, key, with_for_update=True)
    if row is None:
        row = LoginFailure(key=key, failures=0, last_failed_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # another worker counted this key's first failure
            row = db.session.get(LoginFailure, key, with_for_update=True, populate_existing=True)
    if now - row.last_failed_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now
    over = row.failures - FREE_FAILURES
    if over >= 0:
        row.blocked_until = now + min(timedelta(seconds=2**over), MAX_DELAY)
