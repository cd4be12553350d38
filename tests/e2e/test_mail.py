"""#14 item 3: the SMTP server is down when the rep invites; the rep's page
answers at once and shows the mail waiting; the server comes back and the
mail arrives without anyone doing anything."""

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.e2e.fixtures import Inbox, free_port
from tests.e2e.steps import log_in_and_start
from tests.e2e.test_core_flow import make_rut
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
    finally:
        smtp.stop()
    with server.app_context():
        [row] = db.session.scalars(db.select(OutboxMessage)).all()
        assert row.state == MailState.SENT and row.attempts >= 2
        assert "/join/i/[…]" in row.body  # the token went with the mail
        db.session.remove()
