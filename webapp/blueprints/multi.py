"""Flersessionsfönster (R3.4): each customer in a session of its own, one tab
per session, live over the rep's own socket."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp.blueprints.live_user import view
from webapp.models import ParticipantRole, SupportSession, User
from webapp.services import customers, sessions
from webapp.services.errors import ServiceError
from webapp.web import is_htmx

bp = Blueprint("multi", __name__, url_prefix="/support/multi")


def _require_multi_session() -> None:
    if not customers.may_multi_session(current_user):
        raise ServiceError(_l("You may not run several sessions at once."), 403)


@bp.get("/")
@login_required
def window():
    _require_multi_session()
    return render_template(
        "multi/window.html",
        tabs=tabs_of(current_user),
        selected=request.args.get("tab", type=int),
        invite_for=request.args.get("tab", type=int) if request.args.get("invite") else None,
    )


@bp.post("/sessions")
@login_required
def new_session():
    """Bjud in in the window's toolbar: a new session, its tab, its invite dialog."""
    support_session = sessions.start_window_session(current_user)
    target = url_for("multi.window", tab=support_session.id, invite=1)
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.post("/close-ended")
@login_required
def close_ended():
    for support_session in customers.window_sessions(current_user):
        if not support_session.is_open:
            customers.close_tab(current_user, support_session)
    return "", 204


@view("tabs", allowed=customers.may_multi_session)
def render_tabs(user: User) -> str:
    return render_template("multi/_tabs.html", tabs=tabs_of(user), oob=True)


def tabs_of(user: User) -> list[dict]:
    return [_tab(support_session) for support_session in customers.window_sessions(user)]


def _tab(support_session: SupportSession) -> dict:
    present = support_session.present_participants() if support_session.is_open else []
    customer = next((p for p in present if p.role == ParticipantRole.CUSTOMER), None)
    return {
        "id": support_session.id,
        "number": support_session.grouped_number,
        "customer": customer,
        "is_open": support_session.is_open,
        "help_url": (
            url_for(
                "dashboard.help_customer",
                support_session_id=support_session.id,
                participant_id=customer.id,
            )
            if customer is not None
            else ""
        ),
    }
