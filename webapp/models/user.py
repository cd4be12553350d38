from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models.base import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    REP = "rep"
    AGENT = "agent"  # a rep with the WebACD agent privilege
    SUPERVISOR = "supervisor"  # a rep who may look back on every session (#16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True, index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[Role] = so.mapped_column(sa.String(16), default=Role.REP)
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # R3.5: None follows the site settings; a value narrows or widens them.
    multi_session: so.Mapped[bool | None]
    customer_cap: so.Mapped[int | None]
    # R6.6: a WebACD agent's availability (Tillgänglig/Borta), how many
    # sessions it takes at once, and since when it has had nothing to do.
    available: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    acd_capacity: so.Mapped[int] = so.mapped_column(default=2, server_default="2")
    idle_since: so.Mapped[datetime | None]
    # Bumped by every change that counts this user's seats (a customer cap, an
    # agent's capacity): the UPDATE takes the row lock on PostgreSQL and the
    # write lock on SQLite, so two joins at once count one after the other.
    seat_lock: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    # The token of the login this request came with (web.load_user sets it):
    # flask-login keeps get_id() in the session cookie.
    login_token = None  # str | None; not a column

    def get_id(self) -> str:
        return f"{self.id}:{self.login_token}" if self.login_token else str(self.id)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_agent(self) -> bool:
        return self.role == Role.AGENT

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class StaffLogin(db.Model):
    """One logged-in browser of a staff member. The cookie carries its token;
    logging out ends the row, so a copy of the cookie dies with it (#13)."""

    __tablename__ = "staff_logins"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # sha256 of the token in the cookie: a database leak hands out no logins.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    ended_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship()


class LoginFailure(db.Model):
    """Wrong passwords counted per account and per address: each one past the
    free few doubles the wait before the next try is heard (#13)."""

    __tablename__ = "login_failures"

    # "account:<sha256 of the email>" or "address:<ip, or the /64 of an IPv6>"
    key: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    blocked_until: so.Mapped[datetime | None]
