"""Ge support: start a session, assist one, and the rep's invitation link (R1, R4.1)."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from webapp.extensions import limiter
from webapp.models import InvitationRole
from webapp.services import customers, invitations, offer_timeout, sessions
from webapp.services.errors import ServiceError

bp = Blueprint("support", __name__, url_prefix="/support")


class StartForm(FlaskForm):
    email = BooleanField(_l("Email"))


class AssistForm(FlaskForm):
    number = StringField(_l("Session number"), validators=[DataRequired()])


@bp.get("/")
@login_required
def index():
    return render_template(
        "support/index.html",
        # R1.3: checked by default, as the seed's "Avmarkera kryssrutan E-post" implies.
        start_form=StartForm(data={"email": True}),
        assist_form=AssistForm(),
        open_sessions=sessions.open_sessions_of(current_user),
        ended_sessions=sessions.ended_sessions_of(current_user),
        may_multi_session=customers.may_multi_session(current_user),
        returned=offer_timeout.returned_lately_to(current_user),
    )


@bp.post("/start")
@login_required
def start():
    form = StartForm()
    if not form.validate_on_submit():
        raise ServiceError(_l("This form has expired. Reload the page and try again."), 400)
    support_session, _rep = sessions.start_session(current_user)
    return redirect(
        url_for(
            "dashboard.show",
            support_session_id=support_session.id,
            invite=1 if form.email.data else None,
        )
    )


@bp.route("/assist", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["JOIN_RATE_LIMIT"], methods=["POST"])
def assist():
    form = AssistForm()
    error = None
    if form.validate_on_submit():
        try:
            support_session = sessions.find_open_by_number(form.number.data)
            sessions.assist(current_user, support_session)
        except ServiceError as refused:
            error = refused.message
        else:
            return redirect(url_for("dashboard.show", support_session_id=support_session.id))
    status = 400 if form.is_submitted() else 200
    return render_template("support/assist.html", form=form, error=error), status


@bp.get("/i/<token>")
@login_required
def redeem(token: str):
    invitation = invitations.redeem(token, InvitationRole.REP)
    sessions.assist(current_user, invitation.support_session)
    return redirect(url_for("dashboard.show", support_session_id=invitation.support_session_id))
