"""The customer's rating of an ended session (#16 item 4): a score from 1 to
5 and an optional comment, one per customer seat. A second answer replaces
the first, so a slip of the finger can be mended. Reports read `summary`."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Participant, ParticipantRole, SessionRating
from webapp.models.base import utcnow
from webapp.models.rating import COMMENT_MAX
from webapp.services import events
from webapp.services.errors import ServiceError
from webapp.services.text import lines

SCORES = range(1, 6)
NOT_A_CUSTOMER = _l("You were not a customer in this session.")


def ended_customer_seat(seat: Participant | None) -> Participant:
    """The seat of a customer of a session that has ended: who may rate it
    and ask for its receipt."""
    if seat is None:
        raise ServiceError(NOT_A_CUSTOMER, 404)
    if seat.role != ParticipantRole.CUSTOMER:
        raise ServiceError(NOT_A_CUSTOMER, 403)
    if seat.support_session.is_open:
        raise ServiceError(_l("You can rate the session once it has ended."), 409)
    return seat


def rate(seat: Participant | None, score: str, comment: str) -> SessionRating:
    customer = ended_customer_seat(seat)
    value = _score(score)
    comment = lines(comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ServiceError(
            _l("A comment can be at most %(max)d characters.", max=COMMENT_MAX),
            400,
            field="comment",
        )
    rating = rating_of(customer)
    if rating is None:
        rating = SessionRating(
            support_session_id=customer.support_session_id, participant_id=customer.id
        )
        db.session.add(rating)
    rating.score, rating.comment, rating.created_at = value, comment or None, utcnow()
    db.session.flush()
    events.record(customer.support_session, "rated", customer, score=value)
    db.session.commit()
    return rating


def _score(raw: str) -> int:
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdecimal()) or int(raw) not in SCORES:
        raise ServiceError(_l("Choose a rating from 1 to 5."), 400, field="score")
    return int(raw)


def rating_of(customer: Participant) -> SessionRating | None:
    return db.session.scalar(
        sa.select(SessionRating).where(SessionRating.participant_id == customer.id)
    )


def of_session(support_session_id: int) -> list[SessionRating]:
    return list(
        db.session.scalars(
            sa.select(SessionRating)
            .where(SessionRating.support_session_id == support_session_id)
            .order_by(SessionRating.id)
        )
    )


@dataclass(frozen=True)
class Summary:
    count: int
    mean: float | None  # None: nobody rated


def summary(session_ids: sa.Select | list[int] | None = None) -> Summary:
    """How many ratings and their mean, over the sessions given (ids, or a
    select of ids such as a report's filtered sessions), or over all."""
    query = sa.select(sa.func.count(SessionRating.id), sa.func.avg(SessionRating.score))
    if session_ids is not None:
        query = query.where(SessionRating.support_session_id.in_(session_ids))
    count, mean = db.session.execute(query).one()
    return Summary(count, round(float(mean), 2) if mean is not None else None)
