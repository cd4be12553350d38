"""Site settings the admin edits (R1.2, R3.5), and this deployment's identity: one row each."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow


class SiteSettings(db.Model):
    __tablename__ = "site_settings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Whether reps may help customers in separate sessions at once (R3.4).
    multi_session_allowed: so.Mapped[bool] = so.mapped_column(default=True)
    # How many customers a rep may help at once, over all its sessions (R3.5).
    customer_cap: so.Mapped[int] = so.mapped_column(default=5)
    # How long ended sessions keep their files, recordings, chat and events;
    # None keeps them. `flask --app wsgi purge` removes what is older (#13).
    retention_days: so.Mapped[int | None]


class Deployment(db.Model):
    """Made once per database. Redis is shared by every deployment that points
    at it (pub/sub ignores the database number), so our keys and channels
    carry this id: a recreated database is a new namespace (issue #19)."""

    __tablename__ = "deployment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)  # always 1
    namespace: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
