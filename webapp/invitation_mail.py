"""The words of an invitation: its link and its mail, in the language the
rep chose for the invitee (R2.7). The invitations service issues the row and
asks `compose` for the text, so services never build URLs or render."""

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from webapp.models import Invitation, InvitationRole, Participant
from webapp.services.invitations import InvitationText


def compose(invitation: Invitation, token: str, inviter: Participant) -> InvitationText:
    link = invitation_link(invitation.role, token)
    support_session = invitation.support_session
    with force_locale(invitation.locale):
        template = f"mail/invite_{invitation.role}"
        subject = render_template(f"{template}_subject.txt", support_session=support_session)
        body = render_template(
            f"{template}.txt", support_session=support_session, link=link, inviter=inviter
        )
    return InvitationText(link, " ".join(subject.split()), body)


def invitation_link(role: InvitationRole, token: str) -> str:
    endpoint = "join.redeem" if role == InvitationRole.CUSTOMER else "support.redeem"
    base = current_app.config.get("BASE_URL")
    if base:
        return base + url_for(endpoint, token=token)
    return url_for(endpoint, token=token, _external=True)
