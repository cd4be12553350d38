"""#14 item 3: the SMTP server is down when the rep invites; the rep's page
answers at once and shows the mail waiting; the server comes back and the
mail arrives without anyone doing anything. And a server that wants STARTTLS
and a login, as a real submission port does, gets both, with its certificate
verified."""

import shutil
import ssl
import subprocess
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from playwright.sync_api import expect

from tests.conftest import require_in_ci
from tests.e2e.fixtures import Inbox, free_port
from tests.e2e.steps import log_in_and_start, make_rut
from webapp.extensions import db
from webapp.models import MailState, OutboxMessage


@pytest.mark.e2e
def test_mail_waits_for_a_server_that_is_down_and_goes_when_it_is_back(make_live_server, new_page):
    port = free_port()  # nothing listens there yet
    server = make_live_server(
        MAIL_PORT=port, MAIL_RETRY_SECONDS=0.5, MAIL_MAX_ATTEMPTS=50, MAIL_POLL_SECONDS=0.5
    )
    make_rut(server)
    rep = new_page()
    log_in_and_start(rep, server.base_url)
    rep.get_by_role("tab", name="Verktyg").click()
    rep.get_by_role("button", name="Bjud in").first.click()
    dialog = rep.get_by_role("dialog")
    dialog.get_by_label("E-postadress").fill("kund@example.com")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_contain_text("Inbjudan till kund@example.com är på väg.")
    listed = dialog.locator("#open-invitations")
    expect(listed).to_contain_text("E-postservern svarar inte, försöker igen")

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        [mail] = inbox.wait_for(1, timeout=15)
        assert mail["To"] == "kund@example.com"
        assert "/join/i/" in mail.get_content()
        expect(listed).to_contain_text("E-post skickad", timeout=10000)
        # The list re-renders every few seconds and is not live; the dialog's
        # own live region says once how the mail went (#15 item 1).
        sent = "E-posten till kund@example.com är skickad."
        expect(rep.locator("#invite-announcer")).to_have_text(sent)
        rep.wait_for_timeout(3500)  # one more poll, were there one
        expect(rep.locator("#invite-announcer")).to_have_text(sent)
    finally:
        smtp.stop()
    with server.app_context():
        [row] = db.session.scalars(db.select(OutboxMessage)).all()
        assert row.state == MailState.SENT and row.attempts >= 2
        assert "/join/i/[…]" in row.body  # the token went with the mail
        db.session.remove()


SMTP_USER, SMTP_PASSWORD = "supportcenter", "smtp-secret-1"


class TlsInbox(Inbox):
    """An Inbox that also notes whether each mail came over TLS and logged in."""

    def __init__(self):
        super().__init__()
        self.sessions = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.sessions.append((session.ssl is not None, session.authenticated, session.login_data))
        return await super().handle_DATA(server, session, envelope)


def authenticate(server, session, envelope, mechanism, auth_data):
    accepted = auth_data == LoginPassword(SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=accepted, handled=False, auth_data=auth_data)


@pytest.fixture
def starttls_smtp(tmp_path):
    """An SMTP server that, like a real submission port, takes mail only after
    STARTTLS and AUTH; its certificate is self-signed for 127.0.0.1."""
    if shutil.which("openssl") is None:
        require_in_ci("the openssl command is needed to make the SMTP server's certificate")
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.load_cert_chain(cert, key)
    inbox = TlsInbox()
    smtp = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=tls_context,
        require_starttls=True, authenticator=authenticate, auth_required=True,
    )  # fmt: skip
    smtp.start()
    yield inbox, smtp.port, cert
    smtp.stop()


def invite_by_mail(server, new_page):
    make_rut(server)
    rep = new_page()
    log_in_and_start(rep, server.base_url)
    rep.get_by_role("tab", name="Verktyg").click()
    rep.get_by_role("button", name="Bjud in").first.click()
    dialog = rep.get_by_role("dialog")
    dialog.get_by_label("E-postadress").fill("kund@example.com")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_contain_text("Inbjudan till kund@example.com är på väg.")
    return dialog.locator("#open-invitations")


@pytest.mark.e2e
def test_mail_goes_over_starttls_with_a_login(make_live_server, new_page, starttls_smtp):
    inbox, port, cert = starttls_smtp
    server = make_live_server(
        MAIL_PORT=port, MAIL_USE_TLS=True, MAIL_CA_FILE=str(cert),
        MAIL_USERNAME=SMTP_USER, MAIL_PASSWORD=SMTP_PASSWORD,
    )  # fmt: skip
    listed = invite_by_mail(server, new_page)
    [mail] = inbox.wait_for(1, timeout=15)
    assert mail["To"] == "kund@example.com"
    assert "/join/i/" in mail.get_content()
    assert inbox.sessions == [(True, True, SMTP_USER.encode())]
    expect(listed).to_contain_text("E-post skickad", timeout=10000)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"MAIL_PASSWORD": "wrong"}, "535"),
        # Without the test's CA the certificate is a stranger's: no password,
        # no mail, goes to a server that cannot prove it is MAIL_SERVER.
        ({"MAIL_CA_FILE": None}, "CERTIFICATE_VERIFY_FAILED"),
    ],
    ids=["wrong-password", "untrusted-certificate"],
)
def test_mail_refused_by_starttls_server_waits_and_says_why(
    make_live_server, new_page, starttls_smtp, settings, why
):
    inbox, port, cert = starttls_smtp
    server = make_live_server(**{
        "MAIL_PORT": port, "MAIL_USE_TLS": True, "MAIL_CA_FILE": str(cert),
        "MAIL_USERNAME": SMTP_USER, "MAIL_PASSWORD": SMTP_PASSWORD,
        "MAIL_RETRY_SECONDS": 0.5, "MAIL_MAX_ATTEMPTS": 50, **settings,
    })  # fmt: skip
    listed = invite_by_mail(server, new_page)
    expect(listed).to_contain_text("E-postservern svarar inte, försöker igen")
    with server.app_context():
        row = db.session.scalars(db.select(OutboxMessage)).one()
        for _ in range(50):  # until a second try has failed too
            if row.attempts >= 2:
                break
            time.sleep(0.2)
            db.session.refresh(row)
        assert row.state == MailState.RETRYING and row.attempts >= 2
        assert why in row.error
        assert not row.delivered
        db.session.remove()
    assert inbox.messages == [] and inbox.sessions == []
