"""Sessionshistorik (#16 item 1): the search, paged with htmx and kept in the
URL, and one session's page: its timeline, activities, chat and files."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp.models.base import utcnow
from webapp.services import acd, audit, csv_export, history, notes, ratings
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
    "consent_asked": _l("%(who)s asked %(to)s to allow recording"),
    "consent_allowed": _l("%(who)s allowed recording"),
    "consent_denied": _l("%(who)s declined recording"),
    "consent_withdrawn": _l("%(who)s withdrew consent to recording"),
    "rated": _l("%(who)s rated the session"),
    "receipt_sent": _l("%(who)s asked for a receipt by email"),
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


STATE_NAMES = {"ended": _l("Ended"), "queued": _l("In a queue"), "active": _l("Running")}
CSV_HEADER = (
    _l("Session number"),
    _l("Started (UTC)"),
    _l("Ended (UTC)"),
    _l("State"),
    _l("Queue"),
    _l("Customers"),
    _l("Staff"),
)


@bp.get("/export.csv")
def export():
    """Every session the search finds (not one page), as the same user sees them."""
    filters = history.parse(request.args)
    # Looked up once: per row, a lazy string would ask Babel for the locale again.
    names = {queue.id: queue.name for queue in acd.queues()}
    names |= {state: str(text) for state, text in STATE_NAMES.items()}
    rows = (_csv_row(found, names) for found in history.every_match(current_user, filters))
    lines = csv_export.lines([str(title) for title in CSV_HEADER], rows)
    name = f"session-history-{utcnow().date().isoformat()}.csv"
    return csv_export.response(name, lines)


def _csv_row(support_session, names: dict) -> list:
    people = support_session.participants
    return [
        support_session.number,
        support_session.created_at.isoformat(sep=" ", timespec="seconds"),
        support_session.ended_at.isoformat(sep=" ", timespec="seconds")
        if support_session.ended_at
        else "",
        names.get(support_session.state, support_session.state),
        names.get(support_session.queue_id, ""),
        ", ".join(dict.fromkeys(p.name for p in people if p.role == "customer")),
        ", ".join(dict.fromkeys(p.name for p in people if p.role != "customer")),
    ]


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
        ratings=ratings.of_session(support_session.id),
        **_notes_context(support_session.id),
    )


@bp.get("/<int:support_session_id>/notes")
def notes_panel(support_session_id: int):
    """The notes card on its own: the rep's dashboard loads it after the
    page, so the dashboard itself spends no query on it."""
    notes.readable_session(current_user, support_session_id)
    return render_template("history/_notes.html", **_notes_context(support_session_id))


@bp.post("/<int:support_session_id>/notes")
def add_note(support_session_id: int):
    body = request.form.get("body", "")
    try:
        notes.add(current_user, support_session_id, body)
    except ServiceError as refused:
        if refused.field is None:
            raise
        context = _notes_context(support_session_id, error=refused.message, draft=body)
        return render_template("history/_notes.html", **context), refused.status
    if not is_htmx():
        return redirect(url_for(".show", support_session_id=support_session_id))
    return render_template("history/_notes.html", **_notes_context(support_session_id, saved=True))


def _notes_context(support_session_id: int, **extra) -> dict:
    return {
        "notes": notes.notes_of(support_session_id),
        "support_session_id": support_session_id,
        "may_write": notes.may_write(current_user, support_session_id),
        "note_max": notes.NOTE_MAX,
        **extra,
    }


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
