"""Outgoing mail (#14 item 3): queued in the request's transaction, sent after
its commit by a thread of the process, tried again with back-off while the
SMTP server is away. The rep's page never waits for SMTP.

Every process runs a sender; on PostgreSQL a row is taken with SKIP LOCKED,
so two workers never send one mail twice.
"""

import logging
import smtplib
import ssl
import threading
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app
from flask_mail import Connection, Message

from webapp.extensions import db
from webapp.logs import redact
from webapp.metrics import MAIL
from webapp.models import MailState, OutboxMessage
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
_WAKE = "supportcenter_mail_wake"
BATCH = 20
PENDING = (MailState.QUEUED, MailState.RETRYING)


def queue(
    recipient: str, subject: str, body: str, invitation_id: int | None = None
) -> OutboxMessage:
    """Adds the mail to the caller's transaction; it goes out after the commit."""
    outbox = OutboxMessage(
        recipient=recipient, subject=subject, body=body, invitation_id=invitation_id
    )
    if current_app.config.get("MAIL_SERVER"):
        outbox.state, outbox.next_try_at = MailState.QUEUED, utcnow()
        db.session.info[_WAKE] = True
    else:
        log.info("mail (no MAIL_SERVER, outbox only) to %s: %s\n%s", recipient, subject, body)
        outbox.state, outbox.body = MailState.LOGGED, redact(body)
    db.session.add(outbox)
    return outbox


def deliver_due() -> int:
    """Sends what is due now; returns how many were tried."""
    tried = 0
    while rows := list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.state.in_(PENDING), OutboxMessage.next_try_at <= utcnow())
            .order_by(OutboxMessage.next_try_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ):
        for outbox in rows:
            _try(outbox)
        db.session.commit()
        tried += len(rows)
    return tried


class VerifiedConnection(Connection):
    """Flask-Mail's connection with the server's certificate checked.

    Flask-Mail calls `starttls()` and `SMTP_SSL()` without a context, and on
    Python 3.11 smtplib then takes an unverified one: anyone between us and
    the SMTP server could read the mail, and with it the invitation tokens,
    and the SMTP password. This one verifies against the system's CAs, or
    MAIL_CA_FILE for a server with a private CA."""

    def configure_host(self) -> smtplib.SMTP:
        settings = self.mail
        context = ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE"))
        if settings.use_ssl:
            host = smtplib.SMTP_SSL(settings.server, settings.port, context=context)
        else:
            host = smtplib.SMTP(settings.server, settings.port)
        try:
            if settings.use_tls:
                host.starttls(context=context)
            if settings.username and settings.password:
                host.login(settings.username, settings.password)
        except BaseException:
            host.close()
            raise
        return host


def _try(outbox: OutboxMessage) -> None:
    config = current_app.config
    outbox.attempts += 1
    message = Message(subject=outbox.subject, recipients=[outbox.recipient], body=outbox.body)
    try:
        with VerifiedConnection(current_app.extensions["mail"]) as connection:
            connection.send(message)
    except OSError as exc:  # smtplib errors derive from OSError
        log.warning("mail %s to %s failed (try %s): %s", outbox.id, outbox.recipient,
                    outbox.attempts, exc)  # fmt: skip
        outbox.error = str(exc)[:500]
        MAIL.labels("failed").inc()
        if outbox.attempts >= config["MAIL_MAX_ATTEMPTS"]:
            # The text stays, token and all, so `outbox retry` can send it:
            # the link dies with its invitation (INVITATION_TTL_HOURS) anyway.
            outbox.state, outbox.next_try_at = MailState.FAILED, None
        else:
            wait = config["MAIL_RETRY_SECONDS"] * 2 ** (outbox.attempts - 1)
            outbox.state = MailState.RETRYING
            outbox.next_try_at = utcnow() + timedelta(seconds=min(wait, 3600))
        return
    MAIL.labels("sent").inc()
    outbox.state, outbox.delivered, outbox.error = MailState.SENT, True, None
    outbox.next_try_at, outbox.body = None, redact(outbox.body)


def retry_failed() -> int:
    """`flask --app wsgi outbox retry`: failed and waiting mail is tried again now."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.state.in_([MailState.FAILED, MailState.RETRYING]))
        .values(state=MailState.RETRYING, next_try_at=utcnow(), attempts=0)
    )
    db.session.commit()
    return result.rowcount


def listed(show_all: bool = False) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if not show_all:
        query = query.where(OutboxMessage.state.in_([*PENDING, MailState.FAILED]))
    return list(db.session.scalars(query))


def states_of(invitation_ids: list[int]) -> dict[int, MailState]:
    """The newest mail's state for each invitation, for the invite panel."""
    if not invitation_ids:
        return {}
    rows = db.session.execute(
        sa.select(OutboxMessage.invitation_id, OutboxMessage.state)
        .where(OutboxMessage.invitation_id.in_(invitation_ids))
        .order_by(OutboxMessage.id)
    ).all()
    return {invitation_id: state for invitation_id, state in rows}


class Sender:
    """One thread per process: wakes after a commit that queued mail, and every
    few seconds for retries that came due."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    def ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.app.config["MAIL_POLL_SECONDS"])
            self._wake.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except Exception:  # a database hiccup must not stop the sender
                    log.exception("the mail sender could not deliver")
                finally:
                    db.session.remove()


def init_app(app: Flask) -> None:
    sender = Sender(app)
    app.extensions["mail_sender"] = sender
    if app.config.get("MAIL_SERVER"):
        # Retries that were due when the process started go out too.
        app.before_request(sender.ensure_started)


@sa.event.listens_for(so.Session, "after_commit")
def _wake_after_commit(session: so.Session) -> None:
    if session.info.pop(_WAKE, None):
        sender = current_app.extensions.get("mail_sender")
        if sender is not None:
            sender.wake()


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_after_rollback(session: so.Session) -> None:
    session.info.pop(_WAKE, None)
