"""WebACD pages: the agent's Inkommande sessioner with its availability, the
Överför session dialog (R6.1-R6.5), and the customer's request form."""

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from limits import parse_many
from wtforms import EmailField, SelectField, StringField, TextAreaField

from webapp.blueprints.live_user import view
from webapp.blueprints.seats import keep_seat, staff_seat
from webapp.extensions import db, limiter, namespaced_key
from webapp.live.announce import announcement
from webapp.models import Offer, Participant, ParticipantRole, StaffNote, SupportSession, User
from webapp.models.base import utcnow
from webapp.services import acd, acd_transfer, agent_loads, notes, offer_timeout
from webapp.services.availability import set_availability
from webapp.services.errors import ServiceError
from webapp.web import is_htmx, parse_id

bp = Blueprint("acd", __name__)


class RequestForm(FlaskForm):
    queue = SelectField(_l("What do you need help with?"), coerce=int)
    name = StringField(_l("Name"))
    email = EmailField(_l("Email address"))
    problem = TextAreaField(_l("What is the problem?"))


def _agent() -> User:
    if not current_user.is_agent:
        raise ServiceError(_l("Only WebACD agents have incoming sessions."), 403)
    return current_user


@dataclass(frozen=True)
class OfferRow:
    """One offer as Inkommande sessioner shows it, worked out here so the
    template neither queries nor does date arithmetic."""

    offer: Offer
    support_session: SupportSession
    customers: list[str]
    waited_minutes: int
    notes: list[StaffNote]


def inbox_context(agent: User) -> dict:
    offers = acd.pending_offers_of(agent)
    sessions = {s.id: s for s in db.session.scalars(_sessions_of(offers))}
    notes_of = notes.notes_of_sessions(list(sessions))
    now = utcnow()
    rows = []
    for offer in offers:
        support_session = sessions[offer.support_session_id]
        customers = [p.name for p in support_session.present_participants() if not p.is_staff]
        waited = now - (support_session.queued_at or now)
        minutes = int(waited.total_seconds() // 60)
        rows.append(
            OfferRow(offer, support_session, customers, minutes, notes_of[offer.support_session_id])
        )
    return {
        "agent": agent,
        "load": agent_loads.loads([agent])[0],
        "offers": rows,
        "returned": offer_timeout.returned_lately_to(agent),
    }


def _sessions_of(offers):
    return (
        sa.select(SupportSession)
        .options(so.selectinload(SupportSession.participants))
        .where(SupportSession.id.in_([offer.support_session_id for offer in offers]))
    )


def announce_offers(agent: User, burst: list[dict]) -> str:
    """A sentence per offer that came in the burst, and per session that came
    back (#17 item 5), for a screen reader: the inbox's re-render itself is
    not a live region (live/announce.py)."""
    offered = {event.get("support_session_id") for event in burst if event["kind"] == "offer"}
    spoken = [
        announcement(_("No agent accepted the session. It is back with you."))
        for event in burst
        if event["kind"] == "session_returned"
    ]
    for offer in acd.pending_offers_of(agent) if offered else ():
        if offer.support_session_id not in offered:
            continue
        support_session = db.session.get(SupportSession, offer.support_session_id)
        customers = [
            seat.name
            for seat in support_session.present_participants()
            if seat.role == ParticipantRole.CUSTOMER
        ]
        sentence = _(
            "A session is offered to you: %(who)s (%(queue)s).",
            who=", ".join(customers) or _("No customer yet"),
            queue=offer.queue.name if offer.queue else _("Chosen for you"),
        )
        spoken.append(announcement(sentence))
    return "".join(spoken)


@view("inbox", allowed=lambda user: user.is_agent, announce=announce_offers)
def render_inbox(agent: User) -> str:
    """The agent's inbox socket (live_user.py) sends this after every event of
    the agent's channel: an offer made, taken back or accepted elsewhere."""
    return render_template("acd/_inbox.html", oob=True, **inbox_context(agent))


@bp.get("/incoming")
@login_required
def inbox():
    return render_template("acd/inbox.html", **inbox_context(_agent()))


@bp.post("/incoming/availability")
@login_required
def availability():
    agent = _agent()
    set_availability(agent, request.form.get("available") == "1")
    if is_htmx():
        return render_template("acd/_inbox.html", oob=False, **inbox_context(agent))
    return redirect(url_for("acd.inbox"))


@bp.post("/incoming/offers/<int:offer_id>/accept")
@login_required
def accept(offer_id: int):
    support_session = acd.accept_offer(_agent(), offer_id)
    target = url_for("dashboard.show", support_session_id=support_session.id)
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.get("/dashboard/<int:support_session_id>/transfer-session")
@login_required
def transfer_dialog(support_session_id: int):
    seat = _transferring_seat(support_session_id)
    return render_template("acd/_transfer_dialog.html", **_dialog_context(seat))


@bp.post("/dashboard/<int:support_session_id>/transfer-session")
@login_required
def transfer(support_session_id: int):
    seat = _transferring_seat(support_session_id)
    target = request.form.get("target", "queue")
    message = request.form.get("message", "")
    try:
        if target == "agents":
            agent_ids = [i for i in map(parse_id, request.form.getlist("agent_id")) if i]
            done = acd_transfer.transfer_to_agents(seat, agent_ids, message)
        else:
            queue = parse_id(request.form.get("queue_id"))
            done = acd_transfer.transfer_to_queue(seat, queue, message)
    except ServiceError as refused:
        if refused.field is None:
            raise
        db.session.rollback()
        seat = _transferring_seat(support_session_id)
        context = _dialog_context(seat, target=target, message=message)
        context["errors"] = {refused.field: refused.message}
        return render_template("acd/_transfer_form.html", **context), refused.status
    _expect_customers(seat.support_session)
    if done.queue is not None:
        flash(_("The session was transferred to the queue %(name)s.", name=done.queue.name))
    else:
        names = ", ".join(offer.agent.name for offer in done.offers)
        flash(_("The session was offered to %(names)s.", names=names))
    target_url = url_for("support.index")
    if is_htmx():
        return "", 204, {"HX-Redirect": target_url}
    return redirect(target_url)


def _expect_customers(support_session: SupportSession) -> None:
    """#13 item 3: a customer whose page is not open when the session starts
    waiting leaves the queue after QUEUE_GRACE_SECONDS, like one whose page
    closes later (live/presence.py holds the place)."""
    presence = current_app.extensions["live"].presence
    for participant in support_session.present_participants():
        if participant.role == ParticipantRole.CUSTOMER:
            presence.expect(participant.id, support_session.id)


def _transferring_seat(support_session_id: int) -> Participant:
    """R6.1: only a WebACD agent in control gets the dialog."""
    seat = staff_seat(support_session_id)
    acd_transfer.check_may_transfer(seat)
    return seat


def _dialog_context(seat: Participant, target: str = "queue", message: str = "") -> dict:
    queues = [
        (queue, agent_loads.loads(agent_loads.queue_agents(queue.id))) for queue in acd.queues()
    ]
    others = [agent for agent in agent_loads.agents() if agent.id != seat.user_id]
    closed = acd_transfer.closed_now([queue for queue, _members in queues])
    # The first open queue with a free agent is chosen to begin with, not one
    # where the session could only wait.
    ready = [
        queue.id
        for queue, members in queues
        if any(m.has_room for m in members) and queue.id not in closed
    ]
    chosen_queue = request.form.get("queue_id", type=int) or (ready[0] if ready else None)
    return {
        "viewer": seat,
        "support_session": seat.support_session,
        "queues": queues,
        "closed": closed,
        "agents": agent_loads.loads(others),
        "target": target,
        "message": message,
        "message_max": acd_transfer.MESSAGE_MAX,
        "chosen_queue": chosen_queue,
        "chosen_agents": {i for i in map(parse_id, request.form.getlist("agent_id")) if i},
        "errors": {},
    }


@bp.route("/request", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REQUEST_RATE_LIMIT"], methods=["POST"])
def request_help():
    """Item 7: a customer enters a queue by itself; its seat is kept in the
    browser like a joined customer's (join.py). Anyone may ask, so requests
    are limited per address and per queue, and a request whose page never
    opens leaves the queue after its grace (#13 item 3, docs/security.md)."""
    form = RequestForm()
    offered = acd_transfer.open_queues()
    closed = acd_transfer.closed_now(offered)
    form.queue.choices = [
        (queue.id, _("%(name)s (closed)", name=queue.name) if queue.id in closed else queue.name)
        for queue in offered
    ]
    error = None
    if form.is_submitted():  # CSRFProtect checked the token; the service checks the rest
        try:
            _check_queue_limit(form.queue.data)
            customer, secret = acd_transfer.request_help(
                form.queue.data, form.name.data or "", form.email.data or "", form.problem.data
            )
        except ServiceError as refused:
            error = refused
        else:
            _count_for_queue(customer.support_session.queue_id)
            current_app.extensions["live"].presence.expect(customer.id, customer.support_session_id)
            keep_seat(customer, secret)
            return redirect(
                url_for("join.customer_page", support_session_id=customer.support_session_id)
            )
    status = (error.status if error else 400) if form.is_submitted() else 200
    return render_template(
        "acd/request.html",
        form=form,
        error=error,
        closed=closed,
        message_max=acd_transfer.MESSAGE_MAX,
    ), status


def _queue_limits():
    return parse_many(current_app.config["QUEUE_REQUEST_RATE_LIMIT"])


def _queue_limit_key(queue_id: int) -> str:
    return namespaced_key(f"request-queue/{queue_id}")


def _check_queue_limit(queue_id: int | None) -> None:
    """A queue takes only so many sessions from the form per window, whoever
    asks, so many addresses cannot fill it either. Only sessions made count
    (`_count_for_queue`): one address's refused attempts cost others nothing."""
    if queue_id is None or not limiter.enabled:
        return
    key = _queue_limit_key(queue_id)
    if not all(limiter.limiter.test(item, key) for item in _queue_limits()):
        raise ServiceError(
            _l(
                "Many people are asking for help in this queue right now. "
                "Please try again in a few minutes."
            ),
            429,
            field="queue",
        )


def _count_for_queue(queue_id: int) -> None:
    if limiter.enabled:
        for item in _queue_limits():
            limiter.limiter.hit(item, _queue_limit_key(queue_id))
