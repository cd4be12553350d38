"""A receipt by email for the customer (#16 item 4): what happened in the
session (who helped, when, what was shared or recorded, the files), in the
customer's language. A seat may ask a few times, so the form cannot be used
to send mail to anyone, again and again."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Activity, Participant, SessionEvent, SessionFile, SupportSession
from webapp.services import activities, events, files, mailer
from webapp.services.errors import ServiceError
from webapp.services.ratings import ended_customer_seat
from webapp.services.validation import clean_email

RECEIPTS_PER_SEAT = 3


@dataclass(frozen=True)
class Receipt:
    """What a receipt tells; `webapp/receipt_mail.py` writes it."""

    support_session: SupportSession
    customer: Participant
    staff_names: list[str]
    started_at: datetime
    ended_at: datetime | None
    activities: list[Activity]
    files: list[SessionFile]


def send(seat: Participant | None, email: str, compose: Callable[[Receipt], tuple[str, str]]):
    """Queues the receipt to `email`; returns the address it goes to.
    `compose` returns its subject and body."""
    customer = ended_customer_seat(seat)
    recipient = clean_email(email or "")
    if sent_count(customer) >= RECEIPTS_PER_SEAT:
        raise ServiceError(
            _l("You have asked for %(count)d receipts already.", count=RECEIPTS_PER_SEAT),
            429,
            field="email",
        )
    subject, body = compose(receipt_of(customer))
    mailer.queue(recipient, subject, body)
    # Not the address: the audit trail keeps no more personal data than it needs.
    events.record(customer.support_session, "receipt_sent", customer)
    db.session.commit()
    return recipient


def receipt_of(customer: Participant) -> Receipt:
    support_session = customer.support_session
    staff = [p.name for p in support_session.participants if p.is_staff]
    listed = db.session.scalars(
        sa.select(Activity)
        .where(
            Activity.support_session_id == support_session.id,
            Activity.kind.not_in(activities.UNLISTED),
        )
        .order_by(Activity.id)
    )
    return Receipt(
        support_session=support_session,
        customer=customer,
        staff_names=list(dict.fromkeys(staff)),
        started_at=support_session.created_at,
        ended_at=support_session.ended_at,
        activities=list(listed),
        files=files.for_page(customer)["files"],
    )


def sent_count(customer: Participant) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(SessionEvent.id)).where(
            SessionEvent.support_session_id == customer.support_session_id,
            SessionEvent.participant_id == customer.id,
            SessionEvent.kind == "receipt_sent",
        )
    )
