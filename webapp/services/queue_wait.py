"""How long a waiting customer may expect to wait (#17 item 4).

The rule: each session ahead, and the customer's own, is answered in about
the queue's recent median wait, the median time from starting to wait to an
agent accepting, over the last SAMPLE answered sessions of the past WINDOW.
A median, not a mean, so one session left waiting over lunch does not
double everyone's estimate. With no answered session in the window there is
no estimate: the page says so instead of guessing.
"""

import math
from datetime import datetime, timedelta
from statistics import median

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Offer, OfferState

SAMPLE = 50
WINDOW = timedelta(days=7)


def median_wait(queue_id: int, now: datetime) -> timedelta | None:
    rows = db.session.execute(
        sa.select(Offer.queued_at, Offer.decided_at)
        .where(
            Offer.queue_id == queue_id,
            Offer.state == OfferState.ACCEPTED,
            Offer.queued_at.is_not(None),
            Offer.decided_at >= now - WINDOW,
        )
        .order_by(Offer.decided_at.desc())
        .limit(SAMPLE)
    ).all()
    if not rows:
        return None
    return median(decided_at - queued_at for queued_at, decided_at in rows)


def estimate_minutes(typical_wait: timedelta | None, place: int | None) -> int | None:
    """Whole minutes, rounded up and at least one: "about 0 minutes" helps nobody."""
    if typical_wait is None or place is None:
        return None
    return max(1, math.ceil(typical_wait.total_seconds() * place / 60))


def panel_facts(support_session, place: int | None, now: datetime) -> dict:
    """What the status panel tells about the wait: the estimate, whether
    every agent is busy (no offer out), and whether the session just came
    back to its rep because nobody took it (#17 item 5)."""
    if support_session.queue_id is None and place is None:
        return {}
    if place is not None:
        pending = db.session.scalar(
            sa.select(sa.func.count(Offer.id)).where(
                Offer.support_session_id == support_session.id,
                Offer.state == OfferState.PENDING,
            )
        )
        typical = median_wait(support_session.queue_id, now)
        return {"wait_minutes": estimate_minutes(typical, place), "agents_busy": not pending}
    return {"returned": returned_lately(support_session.id, now)}


RETURN_NOTICE = timedelta(minutes=2)  # how long a returned session's customer is told why


def returned_lately(support_session_id: int, now: datetime) -> bool:
    return (
        db.session.scalar(
            sa.select(Offer.id).where(
                Offer.support_session_id == support_session_id,
                Offer.state == OfferState.RETURNED,
                Offer.decided_at >= now - RETURN_NOTICE,
            )
        )
        is not None
    )
