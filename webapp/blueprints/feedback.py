"""The customer's end page (#16 item 4): a rating and a receipt by email. The
customer's authority is their seat (the secret their browser keeps), which
still names them after the session ended."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from webapp import receipt_mail
from webapp.blueprints.seats import current_seat
from webapp.extensions import db
from webapp.models import Participant
from webapp.services import ratings, receipts
from webapp.services.errors import ServiceError

bp = Blueprint("feedback", __name__, url_prefix="/sessions/<int:support_session_id>")

SCORE_WORDS = {
    1: _l("Very poor"),
    2: _l("Poor"),
    3: _l("OK"),
    4: _l("Good"),
    5: _l("Very good"),
}


@bp.get("/feedback")
def panel(support_session_id: int):
    seat = ratings.ended_customer_seat(current_seat(support_session_id))
    return _render(seat)


@bp.post("/rating")
def rate(support_session_id: int):
    seat = current_seat(support_session_id)
    score, comment = request.form.get("score", ""), request.form.get("comment", "")
    try:
        ratings.rate(seat, score, comment)
    except ServiceError as refused:
        if refused.field is None:
            raise  # not this customer's, or not yet: the page's alert says so
        db.session.rollback()
        errors = {refused.field: refused.message}
        return _render(seat, errors=errors, score=score, comment=comment), refused.status
    return _render(seat, rated=True)


@bp.post("/receipt")
def receipt(support_session_id: int):
    seat = current_seat(support_session_id)
    email = request.form.get("email", "")
    try:
        sent_to = receipts.send(seat, email, receipt_mail.compose)
    except ServiceError as refused:
        if refused.field is None:
            raise
        db.session.rollback()
        return _render(seat, errors={"email": refused.message}, email=email), refused.status
    return _render(seat, sent_to=sent_to)


def _render(seat: Participant, errors: dict | None = None, **shown):
    rating = ratings.rating_of(seat)
    return render_template(
        "session/_feedback.html",
        support_session=seat.support_session,
        seat=seat,
        rating=rating,
        receipts_left=receipts.RECEIPTS_PER_SEAT - receipts.sent_count(seat),
        score_words=SCORE_WORDS,
        errors=errors or {},
        score=shown.get("score", str(rating.score) if rating else ""),
        comment=shown.get("comment", (rating.comment or "") if rating else ""),
        email=shown.get("email", seat.email or ""),
        rated=shown.get("rated", False),
        sent_to=shown.get("sent_to"),
    )
