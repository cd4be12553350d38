"""Staff accounts (created by the CLI and the admin) and logging in."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Role, StaffLogin, User
from webapp.models.base import utcnow
from webapp.services import events, login_guard
from webapp.services.errors import ServiceError
from webapp.services.secrets_ import digest, new_token
from webapp.services.text import is_control
from webapp.services.validation import STAFF_NAME_MAX, clean_email, clean_name

PASSWORD_MIN = 8


def create_user(email: str, name: str, role: str, password: str) -> User:
    email = clean_email(email).lower()
    name = clean_name(name, STAFF_NAME_MAX, missing=_l("Please enter a name."))
    if role not in tuple(Role):
        raise ServiceError(_l("Unknown role."), 400, field="role")
    if len(password) < PASSWORD_MIN:
        raise ServiceError(
            _l("A password needs at least %(min)d characters.", min=PASSWORD_MIN),
            400,
            field="password",
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ServiceError(_l("A user with that email already exists."), 409, field="email")
    user = User(email=email, name=name, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def find_user(email: str) -> User | None:
    email = email.strip().lower()
    if any(is_control(ch) for ch in email):
        # No stored address has one (create_user validates it), and PostgreSQL
        # refuses a NUL even in a query: such a login is an unknown address.
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def authenticate(email: str, password: str, address: str | None = None) -> User:
    """The user whose password this is, after the login guard heard the try.
    Returns a user holding a fresh login token (see `start_login`)."""
    login_guard.check_allowed(email, address)
    user = find_user(email)
    # The same answer for an unknown address and a wrong password.
    if user is None or not user.active or not user.check_password(password):
        login_guard.record_failure(email, address)
        raise ServiceError(_l("Wrong email or password."), 401)
    login_guard.record_success(email)
    return start_login(user)


def start_login(user: User) -> User:
    token = new_token()
    db.session.add(StaffLogin(user=user, token_hash=digest(token)))
    db.session.commit()
    user.login_token = token
    return user


def user_for_cookie(cookie_id: str) -> User | None:
    """The user of a login that is still going: "<user id>:<token>"."""
    user_part, _, token = cookie_id.partition(":")
    if not (user_part.isdecimal() and len(user_part) <= 9 and token):
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(StaffLogin, StaffLogin.user_id == User.id)
        .where(
            User.id == int(user_part),
            StaffLogin.token_hash == digest(token),
            StaffLogin.ended_at.is_(None),
        )
    )
    if user is not None:
        user.login_token = token
    return user


def end_login(user: User) -> None:
    """Logout: this browser's login ends here, and so does every copy of its cookie."""
    if user.login_token:
        login_hash = digest(user.login_token)
        _end_logins(StaffLogin.token_hash == login_hash)
        events.notify_logged_out(user.id, login_hash)
        db.session.commit()


def deactivate(user: User) -> None:
    """The user can no longer log in; every login and open socket ends now."""
    user.active = False
    _end_logins(StaffLogin.user_id == user.id)
    events.notify_logged_out(user.id, None)
    db.session.commit()


def _end_logins(condition) -> None:
    db.session.execute(
        sa.update(StaffLogin)
        .where(condition, StaffLogin.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()
