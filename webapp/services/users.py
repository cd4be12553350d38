"""Staff accounts (created by the CLI and the admin) and logging in."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Role, User
from webapp.services.errors import ServiceError
from webapp.services.invitations import clean_email

PASSWORD_MIN = 8


def create_user(email: str, name: str, role: str, password: str) -> User:
    email = clean_email(email).lower()
    name = " ".join(name.split())
    if not name:
        raise ServiceError(_l("Please enter a name."), 400, field="name")
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


def authenticate(email: str, password: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    # The same answer for an unknown address and a wrong password.
    if user is None or not user.active or not user.check_password(password):
        raise ServiceError(_l("Wrong email or password."), 401)
    return user


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()
