"""Outgoing mail: always kept in the outbox, sent over SMTP when one is configured."""

import logging

from flask import current_app
from flask_mail import Message

from webapp.extensions import db, mail
from webapp.models import OutboxMessage

log = logging.getLogger(__name__)


def send(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Returns the outbox row; `delivered` says whether SMTP took it."""
    outbox = OutboxMessage(recipient=recipient, subject=subject, body=body)
    if current_app.config.get("MAIL_SERVER"):
        try:
            mail.send(Message(subject=subject, recipients=[recipient], body=body))
            outbox.delivered = True
        except OSError as exc:  # smtplib errors derive from OSError
            log.warning("mail to %s failed: %s", recipient, exc)
            outbox.error = str(exc)[:500]
    else:
        log.info("mail (no MAIL_SERVER, outbox only) to %s: %s\n%s", recipient, subject, body)
    db.session.add(outbox)
    db.session.commit()
    return outbox
