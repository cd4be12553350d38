"""Names and email addresses as people type them: cleaned one way, refused
with one message each, wherever they come from (a join, an invitation, a
request for help, a transfer, a new user)."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from webapp.services.errors import ServiceError
from webapp.services.text import one_line

NAME_MAX = 80  # a customer's name on a seat
STAFF_NAME_MAX = 120  # users.name and participants.name


def clean_name(name: str, limit: int = NAME_MAX, missing: LazyString | None = None) -> str:
    name = one_line(name)
    if not name:
        raise ServiceError(missing or _l("Please enter your name."), 400, field="name")
    if len(name) > limit:
        raise ServiceError(
            _l("A name can be at most %(max)d characters.", max=limit), 400, field="name"
        )
    return name


def clean_email(email: str) -> str:
    if not email.strip():
        raise ServiceError(_l("Enter an email address."), 400, field="email")
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ServiceError(
            _l("Enter a valid email address, such as name@example.com."),
            400,
            field="email",
        ) from None
