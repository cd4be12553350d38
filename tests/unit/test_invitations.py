"""Invitations: tokens, links, mail in the recipient's language (R2)."""

from datetime import timedelta
from urllib.parse import unquote

import pytest

from tests.factories import make_customer, make_rep, make_support_session
from webapp.extensions import db
from webapp.invitation_mail import compose
from webapp.models import InvitationRole
from webapp.services import invitations, sessions
from webapp.services.errors import ServiceError


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", base_url="http://support.example"):
        yield


def test_server_invite_mails_the_link_in_the_chosen_language(app, request_context, outbox):
    support_session, rep_seat = make_support_session(make_rep("Rut"))
    issued = invitations.invite(
        rep_seat, "customer", "Kund@Example.com", "en", send_mail=True, compose=compose
    )
    assert issued.link.startswith("http://support.example/join/i/")
    token = issued.link.rsplit("/", 1)[1]
    assert len(token) >= 32  # 192 bits, url-safe
    assert issued.invitation.token_hash != token
    [mail] = outbox()
    assert mail.recipient == "Kund@example.com"
    # The outbox keeps the mail but not the token: a copy of it takes no seat.
    assert token not in mail.body
    assert issued.link.replace(token, "[…]") in mail.body
    assert support_session.grouped_number in mail.body
    assert "support session" in mail.subject
    assert "Rut" in mail.body


def test_swedish_invite_is_in_swedish(app, request_context, outbox):
    _, rep_seat = make_support_session()
    invitations.invite(
        rep_seat, "customer", "kund@example.com", "sv", send_mail=True, compose=compose
    )
    [mail] = outbox()
    assert "supportsession" in mail.subject


def test_base_url_sets_the_link_origin(app, request_context):
    app.config["BASE_URL"] = "https://help.example.org"
    _, rep_seat = make_support_session()
    issued = invitations.invite(rep_seat, "rep", None, "sv", send_mail=False, compose=compose)
    assert issued.link.startswith("https://help.example.org/support/i/")


@pytest.mark.parametrize("email", ["", " ", "kund", "kund@", "@example.com", "a b@example.com"])
def test_invalid_email_sends_nothing(app, request_context, outbox, email):
    _, rep_seat = make_support_session()
    with pytest.raises(ServiceError) as refused:
        invitations.invite(rep_seat, "customer", email, "sv", send_mail=True, compose=compose)
    assert refused.value.field == "email"
    assert outbox() == []


def test_own_program_gives_a_filled_mailto(app, request_context, outbox):
    _, rep_seat = make_support_session()
    issued = invitations.invite(
        rep_seat, "customer", "kund@example.com", "en", send_mail=False, compose=compose
    )
    assert issued.mailto.startswith("mailto:kund%40example.com?subject=")
    assert "body=" in issued.mailto and issued.link in unquote(issued.mailto)
    assert outbox() == []


def test_only_the_controller_invites(app, request_context):
    support_session, _ = make_support_session()
    customer = make_customer(support_session)
    with pytest.raises(ServiceError) as refused:
        invitations.invite(
            customer, "customer", "x@example.com", "sv", send_mail=True, compose=compose
        )
    assert refused.value.status == 403


def test_tokens_are_per_role_expire_and_die_with_the_session(app, request_context):
    _, rep_seat = make_support_session()
    customer_link = invitations.invite(
        rep_seat, "customer", None, "sv", send_mail=False, compose=compose
    )
    rep_link = invitations.invite(rep_seat, "rep", None, "sv", send_mail=False, compose=compose)
    customer_token = customer_link.link.rsplit("/", 1)[1]
    rep_token = rep_link.link.rsplit("/", 1)[1]

    assert invitations.redeem(customer_token, InvitationRole.CUSTOMER)
    assert invitations.redeem(rep_token, InvitationRole.REP)
    with pytest.raises(ServiceError) as wrong_role:
        invitations.redeem(rep_token, InvitationRole.CUSTOMER)
    assert wrong_role.value.status == 403
    with pytest.raises(ServiceError) as unknown:
        invitations.redeem("x" * 32, InvitationRole.CUSTOMER)
    assert unknown.value.status == 404

    rep_link.invitation.expires_at -= timedelta(days=2)
    db.session.commit()
    with pytest.raises(ServiceError) as expired:
        invitations.redeem(rep_token, InvitationRole.REP)
    assert expired.value.status == 410

    sessions.end_session(rep_seat)
    with pytest.raises(ServiceError) as ended:
        invitations.redeem(customer_token, InvitationRole.CUSTOMER)
    assert ended.value.status == 410
