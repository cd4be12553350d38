"""The words of a customer's receipt (#16 item 4), in the customer's language
(R8), with times in the zone their browser told. The receipts service asks
`compose` for them, so services never render."""

from datetime import UTC, datetime

from babel.dates import format_datetime
from flask import render_template
from flask_babel import force_locale, get_locale

from webapp.display import duration, viewer_zone
from webapp.services.receipts import Receipt
from webapp.web import activity_names


def compose(receipt: Receipt) -> tuple[str, str]:
    zone = viewer_zone() or UTC
    with force_locale(receipt.customer.locale or "sv"):
        locale = get_locale()

        def when(moment: datetime | None) -> str:
            if moment is None:
                return ""
            local = moment.replace(tzinfo=UTC).astimezone(zone)
            return f"{format_datetime(local, 'medium', locale=locale)} ({zone})"

        context = {
            "receipt": receipt,
            "support_session": receipt.support_session,
            "when": when,
            "duration": duration,
            "names": activity_names(),
        }
        subject = render_template("mail/receipt_subject.txt", **context)
        body = render_template("mail/receipt.txt", **context)
    return " ".join(subject.split()), body
