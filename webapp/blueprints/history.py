"""Sessionshistorik (#16 item 1): the search, paged with htmx and kept in the
URL, and one session's page: its timeline, activities, chat and files."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp.services import acd, audit, history
from webapp.services.errors import ServiceError
from webapp.web import ACTIVITY_NAMES, is_htmx

bp = Blueprint("history", __name__, url_prefix="/history")

# One sentence per kind of event; %(who)s is the participant who acted.
EVENT_TEXTS = {
    "started": _l("%(who)s started the session"),
    "requested": _l("%(who)s asked for help"),
    "joined": _l("%(who)s joined"),
    "left": _l("%(who)s left"),
    "invited": _l("%(who)s sent an invitation"),
    "invitation_revoked": _l("%(who)s revoked an invitation"),
    "control_transferred": _l("%(who)s handed control to %(to)s"),
    "customer_selected": _l("%(who)s chose to help %(to)s"),
    "transferred_to_acd": _l("%(who)s transferred the session to WebACD"),
    "offer_accepted": _l("%(who)s accepted the session"),
    "offer_expired": _l("An offer lapsed: nobody accepted it in time"),
    "returned_to_agent": _l("Nobody accepted the session: it went back to %(who)s"),
    "activity_started": _l("%(who)s started %(activity)s"),
    "activities_ended": _l("Activities ended"),
    "file_shared": _l("%(who)s sent a file"),
    "recording_stored": _l("%(who)s's recording is being stored"),
    "recording_finished": _l("%(who)s's recording was saved"),
    "tab_closed": _l("The session's tab was closed"),
    "ended": _l("The session ended"),
}


@bp.before_request
@login_required
def staff_only():
    """Every account is staff: the login is what this asks for."""


@bp.get("/")
def index():
    error = None
    try:
        filters = history.parse(request.args)
        results = history.search(current_user, filters)
    except ServiceError as refused:
        error, filters, results = refused, history.Filters(), None
    context = {
        "filters": filters,
        "results": results,
        "error": error,
        "args": request.args,
        "queues": acd.queues(),
        "sees_all": history.sees_all(current_user),
    }
    status = error.status if error else 200
    if is_htmx() and request.headers.get("HX-Target") == "history-results":
        return render_template("history/_results.html", **context), status
    return render_template("history/index.html", **context), status


@bp.get("/<int:support_session_id>")
def show(support_session_id: int):
    support_session = history.session_for(current_user, support_session_id)
    record = history.record_of(support_session)
    return render_template(
        "history/session.html",
        support_session=support_session,
        record=record,
        event_text=lambda event: _event_text(event, record),
        audit=audit.verify_session(support_session),
    )


def _event_text(event, record) -> str:
    who = record.participants.get(event.participant_id)
    data = event.data or {}
    to = record.participants.get(data.get("to_participant_id") or data.get("customer_id"))
    template = EVENT_TEXTS.get(event.kind)
    if template is None:
        return event.kind
    kind = data.get("activity_kind") or ""
    names = {"activity": str(ACTIVITY_NAMES.get(kind, kind)).lower()}
    return str(template) % {
        "who": who.name if who else _l("Someone"),
        "to": to.name if to else _l("someone"),
        **names,
    }
