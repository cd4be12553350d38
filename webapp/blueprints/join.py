"""Delta: a customer joins by session number or invitation link (R2.4, R2.5)."""

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from webapp.blueprints.seats import current_seat, keep_seat
from webapp.extensions import limiter, namespaced_key
from webapp.live.push import page_context
from webapp.models import InvitationRole, SupportSession
from webapp.services import invitations, sessions
from webapp.services.errors import ServiceError
from webapp.web import only_reads

bp = Blueprint("join", __name__, url_prefix="/join")


class JoinForm(FlaskForm):
    number = StringField(
        _l("Session number"),
        validators=[DataRequired(message=_l("Enter the session number."))],
    )
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter your name."))])


class NameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter your name."))])


def _take_seat(support_session: SupportSession, name: str, email: str | None = None):
    seat = current_seat(support_session.id)
    if seat is None or seat.left_at is not None:
        seat, secret = sessions.join_as_customer(support_session, name, email)
        keep_seat(seat, secret)
    return redirect(url_for("join.customer_page", support_session_id=support_session.id))


def _number_tried() -> str:
    """The number a join names, for counting tries per number: many addresses
    together must not guess one number at full speed."""
    digits = "".join(ch for ch in request.form.get("number", "") if ch.isdigit())[:12]
    return namespaced_key(f"join-number/{digits}")


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["JOIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["JOIN_NUMBER_RATE_LIMIT"], methods=["POST"], key_func=_number_tried
)
def index():
    form = JoinForm()
    error = None
    if form.validate_on_submit():
        try:
            support_session = sessions.find_open_by_number(form.number.data)
            return _take_seat(support_session, form.name.data)
        except ServiceError as refused:
            error = refused
    status = (error.status if error else 400) if form.is_submitted() else 200
    return render_template("join/index.html", form=form, error=error), status


@bp.route("/i/<token>", methods=["GET", "POST"])
def redeem(token: str):
    invitation = invitations.redeem(token, InvitationRole.CUSTOMER)
    support_session = invitation.support_session
    seat = current_seat(support_session.id)
    if seat is not None and seat.left_at is None:
        return redirect(url_for("join.customer_page", support_session_id=support_session.id))
    invitations.check_not_used_elsewhere(invitation, seat.id if seat else None)
    form = NameForm(data={"name": invitation.name} if invitation.name else None)
    error = None
    if form.validate_on_submit():
        try:
            new_seat, secret = sessions.join_with_invitation(invitation, form.name.data, seat)
        except ServiceError as refused:
            error = refused
        else:
            keep_seat(new_seat, secret)
            return redirect(url_for("join.customer_page", support_session_id=support_session.id))
    status = (error.status if error else 400) if form.is_submitted() else 200
    return render_template(
        "join/redeem.html",
        form=form,
        error=error,
        support_session=support_session,
        # The invite named the customer: the page sends itself, so the link
        # "lands directly", while mail scanners that fetch without running
        # scripts take no seat.
        auto_submit=bool(invitation.name) and not form.is_submitted(),
    ), status


@bp.get("/session/<int:support_session_id>")
@only_reads
def customer_page(support_session_id: int):
    seat = current_seat(support_session_id)
    if seat is None:
        raise ServiceError(
            _l("You are not taking part in this session. Join it with its session number."),
            403,
        )
    support_session = seat.support_session
    if seat.left_at is not None and support_session.is_open:
        # Back after Lämna session: the seat is gone, and a live page
        # without one would retry its socket for ever.
        return redirect(url_for("join.left"))
    return render_template("join/customer.html", **page_context(support_session, seat))


@bp.post("/session/<int:support_session_id>/leave")
def leave(support_session_id: int):
    seat = current_seat(support_session_id)
    if seat is None:
        raise ServiceError(_l("You are not taking part in this session."), 403)
    sessions.leave(seat)
    return redirect(url_for("join.left"))


@bp.get("/left")
def left():
    return render_template("join/left.html")
