"""Recording consent (#16 item 4): the rep's media script asks (fetch, JSON),
the customer answers with the buttons of the consent panel (htmx)."""

from flask import Blueprint, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

from webapp.blueprints.seats import viewer_of
from webapp.extensions import db
from webapp.live.push import panel_context
from webapp.services import activities, consent
from webapp.services.errors import ServiceError

bp = Blueprint("consent", __name__, url_prefix="/sessions/<int:support_session_id>/consent")

NO_DECISION = _l("Choose Allow or Deny.")


@bp.post("/ask")
def ask(support_session_id: int):
    """Answers with the session's state; "allowed" means record now."""
    viewer = viewer_of(support_session_id)
    try:
        if viewer is None:
            raise ServiceError(activities.NOT_A_PARTICIPANT, 404)
        state = consent.ask(viewer)
    except ServiceError as refused:
        db.session.rollback()
        return jsonify(error=str(refused.message)), refused.status
    return jsonify(state=state)


@bp.post("")
def answer(support_session_id: int):
    viewer = viewer_of(support_session_id)
    if viewer is None:
        raise ServiceError(activities.NOT_A_PARTICIPANT, 404)
    consent.require_customer(viewer)
    decision = request.form.get("decision", "")
    # A refusal shows as the page's alert (the app's ServiceError handler).
    if decision == "withdraw":
        consent.withdraw(viewer)
    elif decision in ("allow", "deny"):
        consent.answer(viewer, allow=decision == "allow")
    else:
        raise ServiceError(NO_DECISION, 400)
    context = panel_context(viewer.support_session, viewer)
    return render_template("session/_consent.html", **context)
