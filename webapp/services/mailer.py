"""Outgoing mail: always kept in the outbox, sent over SMTP when one is configured."""

import logging

from flask import current_app
from flask_mail import Message

from webapp.extensions import db, mail
from webapp.metrics import MAIL
from webapp.models import OutboxMessage

log = logging.getLogger(__name__)


REDACTED = "[…]"


def send(recipient: str, subject: str, body: str, secret: str | None = None) -> OutboxMessage:
    """Returns the outbox row; `delivered` says whether SMTP took it. The
    row keeps the body without `secret` (an invitation's token): whoever
    reads the outbox or a database copy must not get a seat from it."""
    kept = body.replace(secret, REDACTED) if secret else body
    outbox = OutboxMessage(recipient=recipient, subject=subject, body=kept)
    if current_app.config.get("MAIL_SERVER"):
        try:
            mail.send(Message(subject=subject, recipients=[recipient], body=body))
            outbox.delivered = True
            MAIL.labels("sent").inc()
        except OSError as exc:  # smtplib errors derive from OSError
            log.warning("mail to %s failed: %s", recipient, exc)
            outbox.error = str(exc)[:500]
            MAIL.labels("failed").inc()
    else:
        log.info("mail (no MAIL_SERVER, outbox only) to %s: %s\n%s", recipient, subject, body)
    db.session.add(outbox)
    db.session.commit()
    return outbox
