"""The CSR dashboard: the rep's Remote Support page (R1, R2, R1.5)."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from webapp import invitation_mail
from webapp.blueprints.seats import staff_seat
from webapp.extensions import db
from webapp.live.announce import announcement
from webapp.live.push import page_context
from webapp.models import InvitationRole, MailState, Participant
from webapp.services import audit, customers, files, invitations, mailer, sessions
from webapp.services.chat import recent_messages
from webapp.services.errors import ServiceError
from webapp.web import is_htmx, only_reads, parse_id

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


class InviteForm(FlaskForm):
    role = RadioField(
        _l("Invite"),
        choices=[
            SelectChoice(InvitationRole.CUSTOMER.value, _l("Customer")),
            SelectChoice(InvitationRole.REP.value, _l("Support representative")),
        ],
        default=InvitationRole.CUSTOMER.value,
    )
    email = EmailField(_l("Email address"))
    name = StringField(_l("Name (optional)"))
    locale = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice("sv", "Svenska"), SelectChoice("en", "English")],
    )
    own_program = BooleanField(_l("Send using my own email program"))


def _invite_form() -> InviteForm:
    form = InviteForm()
    if not form.is_submitted():
        form.locale.data = request.args.get("locale") or _current_locale()
    return form


def _current_locale() -> str:
    return str(get_locale())


@bp.get("/<int:support_session_id>")
@only_reads
@login_required
def show(support_session_id: int):
    # An ended session's page (a reload, a tab of the Flersessionsfönster)
    # says it ended, for the staff who took part.
    seat = sessions.staff_participant(
        support_session_id, current_user, with_participants=True
    ) or files.former_staff_seat(support_session_id, current_user)
    if seat is None:
        raise ServiceError(_l("You are not taking part in this session."), 403)
    support_session = seat.support_session
    if support_session.is_open:
        # R1.5: a dashboard whose socket never arrives counts as closed.
        live = current_app.extensions["live"]
        live.presence.expect(seat.id, support_session.id, within=live.arrival_seconds)
    return render_template(
        "dashboard/dashboard.html",
        **page_context(support_session, seat),
        invite_form=_invite_form() if request.args.get("invite") else None,
    )


@bp.get("/<int:support_session_id>/record")
@login_required
def record(support_session_id: int):
    """An ended session as it was kept: who took part, the chat, the files and
    recordings, for the staff who took part."""
    seat = files.former_staff_seat(support_session_id, current_user)
    if seat is None:
        raise ServiceError(_l("There is no ended session of yours with that number."), 404)
    support_session = seat.support_session
    return render_template(
        "dashboard/record.html",
        support_session=support_session,
        viewer=seat,
        participants=support_session.participants,
        chat_messages=recent_messages(support_session.id),
        audit=audit.verify_session(support_session),
        **files.for_page(seat),
    )


@bp.get("/<int:support_session_id>/invite")
@login_required
def invite_dialog(support_session_id: int):
    seat = staff_seat(support_session_id)
    return render_template(
        "dashboard/_invite_dialog.html",
        viewer=seat,
        form=_invite_form(),
        **_invitations_context(support_session_id),
    )


@bp.post("/<int:support_session_id>/invite")
@login_required
def invite(support_session_id: int):
    seat = staff_seat(support_session_id)
    form = _invite_form()
    form.validate_on_submit()  # CSRF; the service checks the values themselves
    copy_link = "copy_link" in request.form
    try:
        issued = invitations.invite(
            seat,
            form.role.data,
            None if copy_link else (form.email.data or ""),
            form.locale.data,
            send_mail=not copy_link and not form.own_program.data,
            compose=invitation_mail.compose,
            name=form.name.data,
        )
    except ServiceError as refused:
        if refused.field is None and refused.status != 400:
            raise
        form_errors = {refused.field or "email": refused.message}
        return render_template(
            "dashboard/_invite_form.html", viewer=seat, form=form, errors=form_errors
        ), 400
    outcome = "link" if copy_link else ("mailto" if form.own_program.data else "sent")
    return render_template(
        "dashboard/_invite_result.html", viewer=seat, issued=issued, outcome=outcome
    ) + render_template(
        "dashboard/_open_invitations.html", oob=True, **_invitations_context(support_session_id)
    )


@bp.post("/<int:support_session_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(support_session_id: int, invitation_id: int):
    seat = staff_seat(support_session_id)
    invitations.revoke(seat, invitation_id)
    return render_template(
        "dashboard/_open_invitations.html", **_invitations_context(support_session_id)
    )


@bp.get("/<int:support_session_id>/invitations")
@login_required
def open_invitations(support_session_id: int):
    """The list again, while a mail in it is still on its way (it polls)."""
    staff_seat(support_session_id)
    context = _invitations_context(support_session_id)
    waited_for = {parse_id(part) for part in request.args.get("waiting", "").split(",")}
    return render_template("dashboard/_open_invitations.html", **context) + _mail_outcomes(
        context, waited_for - {None}
    )


def _mail_outcomes(context: dict, waited_for: set[int]) -> str:
    """Once per mail the poll was waiting for and that has now gone or
    failed, a sentence for the dialog's live region (live/announce.py)."""
    spoken = []
    for invitation in context["open_invitations"]:
        state = context["mail_states"].get(invitation.id)
        if invitation.id not in waited_for or state not in (MailState.SENT, MailState.FAILED):
            continue
        if state == MailState.SENT:
            sentence = _("The mail to %(email)s was sent.", email=invitation.email)
        else:
            sentence = _(
                "The mail to %(email)s could not be sent: copy the link instead.",
                email=invitation.email,
            )
        spoken.append(announcement(sentence, region="invite-announcer"))
    return "".join(spoken)


def _invitations_context(support_session_id: int) -> dict:
    listed = invitations.open_invitations(support_session_id)
    return {
        "support_session_id": support_session_id,
        "open_invitations": listed,
        "mail_states": mailer.states_of([invitation.id for invitation in listed]),
    }


@bp.post("/<int:support_session_id>/help/<int:participant_id>")
@login_required
def help_customer(support_session_id: int, participant_id: int):
    """R3.1: the controller chooses whom to help; every page follows by push."""
    seat = staff_seat(support_session_id)
    customer = db.session.get(Participant, participant_id)
    if customer is None:
        raise ServiceError(_l("Choose a customer who is taking part in this session."), 400)
    customers.select_customer(seat, customer)
    return "", 204


@bp.get("/<int:support_session_id>/transfer-control")
@login_required
def transfer_dialog(support_session_id: int):
    seat = staff_seat(support_session_id)
    if not seat.is_controller:
        raise ServiceError(_l("Only the representative in control can transfer control."), 403)
    assistants = sessions.assistants_of(seat.support_session)
    if not assistants:
        raise ServiceError(_l("No support representative is assisting this session."), 409)
    return render_template("dashboard/_transfer_dialog.html", viewer=seat, assistants=assistants)


@bp.post("/<int:support_session_id>/transfer-control")
@login_required
def transfer_control(support_session_id: int):
    seat = staff_seat(support_session_id)
    target_id = parse_id(request.form.get("participant_id"))
    target = sessions.participant_with_session(target_id) if target_id is not None else None
    if target is None:
        raise ServiceError(
            _l("Choose a support representative who is taking part as an assistant."), 400
        )
    sessions.transfer_control(seat, target)
    # The dialog goes; every page's controls change through the socket.
    return render_template(
        "_alert.html",
        message=_("%(name)s is in control of this session.", name=target.name),
        kind="success",
        oob=True,
    )


@bp.post("/<int:support_session_id>/end")
@login_required
def end(support_session_id: int):
    seat = staff_seat(support_session_id)
    sessions.end_session(seat)
    return _back_to_support(_("The session has ended"))


@bp.post("/<int:support_session_id>/leave")
@login_required
def leave(support_session_id: int):
    seat = staff_seat(support_session_id)
    sessions.leave(seat)
    return _back_to_support(_("You left the session."))


def _back_to_support(message: str):
    if "embed=1" in request.headers.get("HX-Current-URL", ""):
        # In a tab of the Flersessionsfönster the push shows the end; the
        # window around it stays.
        return "", 204
    flash(message, "success")
    target = url_for("support.index")
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
