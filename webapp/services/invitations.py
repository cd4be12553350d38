"""Invitations by email, by the rep's own mail program, or as a link (R2)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Invitation, InvitationRole, Participant
from webapp.models.base import utcnow
from webapp.services import events, mailer
from webapp.services.errors import ServiceError
from webapp.services.secrets_ import digest, new_token
from webapp.services.validation import clean_email, clean_name


@dataclass(frozen=True)
class InvitationText:
    """What an invitation says: its link, which holds the token, and its mail."""

    link: str
    subject: str
    body: str


# Writes an invitation's text from the new row, its token (kept nowhere else)
# and who invites. Links and words belong to the web layer, not to services:
# webapp/invitation_mail.py has the one the app uses.
Compose = Callable[[Invitation, str, Participant], InvitationText]


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    link: str
    subject: str
    body: str

    @property
    def mailto(self) -> str:
        return (
            f"mailto:{quote(self.invitation.email or '')}"
            f"?subject={quote(self.subject)}&body={quote(self.body)}"
        )


def invite(
    actor: Participant,
    role: str,
    email: str | None,
    locale: str,
    *,
    send_mail: bool,
    compose: Compose,
    name: str | None = None,
) -> IssuedInvitation:
    """R2.2-R2.4, R2.7. With `send_mail` the server mails it; otherwise the
    caller hands the text to the rep's own mail program or clipboard. The
    invitation and its mail in the outbox are one commit."""
    invitation, token = _issue(actor, role, email, locale, name)
    text = compose(invitation, token, actor)
    events.record(
        actor.support_session,
        "invited",
        actor,
        role=str(invitation.role),
        email=invitation.email,
        by_server=send_mail,
    )
    if send_mail and invitation.email:
        mailer.queue(invitation.email, text.subject, text.body, invitation_id=invitation.id)
    db.session.commit()
    return IssuedInvitation(invitation, text.link, text.subject, text.body)


def _issue(
    actor: Participant, role: str, email: str | None, locale: str, name: str | None
) -> tuple[Invitation, str]:
    """Checks who invites and what they typed, and adds the invitation row
    (in the caller's transaction); returns it with its token."""
    support_session = actor.support_session
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can invite."), 403)
    if not support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    if role not in tuple(InvitationRole):
        raise ServiceError(_l("Choose Customer or Support representative."), 400, field="role")
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if email is not None:
        email = clean_email(email)
    if name:
        name = clean_name(name)
    token = new_token()
    invitation = Invitation(
        support_session=support_session,
        role=InvitationRole(role),
        email=email,
        name=name or None,
        locale=locale,
        token_hash=digest(token),
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


USED = _l(
    "This invitation has already been used. Ask your representative for a new one, "
    "or join with the session number."
)


def redeem(token: str, role: InvitationRole) -> Invitation:
    """A stale, expired, revoked or wrong-role link gets one clear refusal each."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == digest(token))
    )
    if invitation is None:
        raise ServiceError(_l("This invitation link is not valid."), 404)
    if invitation.role != role:
        raise ServiceError(
            _l("This invitation is for a customer.")
            if invitation.role == InvitationRole.CUSTOMER
            else _l("This invitation is for a support representative; log in to use it."),
            403,
        )
    if not invitation.support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    if invitation.revoked_at is not None:
        raise ServiceError(
            _l("This invitation has been withdrawn. Ask your representative for a new one."), 410
        )
    if invitation.expires_at < utcnow():
        raise ServiceError(
            _l("This invitation has expired. Ask your representative for a new one."),
            410,
        )
    return invitation


def check_not_used_elsewhere(invitation: Invitation, held_seat_id: int | None) -> None:
    """A customer link belongs to the browser that first joined with it; that
    browser may come back with it, any other is told it is used."""
    if invitation.used_at is not None and invitation.participant_id != held_seat_id:
        raise ServiceError(USED, 410)


def claim(invitation: Invitation, seat: Participant, held_seat_id: int | None) -> None:
    """In the caller's transaction: the link now belongs to `seat`. A
    compare-and-set, so of two browsers joining with one link at once, one
    wins and the other's seat is rolled back."""
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.revoked_at.is_(None),
            sa.or_(Invitation.used_at.is_(None), Invitation.participant_id == held_seat_id),
        )
        .values(used_at=utcnow(), participant_id=seat.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ServiceError(USED, 410)


def open_invitations(support_session_id: int) -> list[Invitation]:
    """The links of a session that someone new could still use, newest first."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.support_session_id == support_session_id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.id.desc())
        )
    )


def revoke(actor: Participant, invitation_id: int) -> None:
    """Återkalla: the link stops working at once (#13 item 5)."""
    support_session = actor.support_session
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can withdraw invitations."), 403)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.support_session_id != support_session.id:
        raise ServiceError(_l("There is no such invitation in this session."), 404)
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        events.record(support_session, "invitation_revoked", actor, role=str(invitation.role))
    db.session.commit()
