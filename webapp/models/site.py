"""Site settings the admin edits (R1.2, R3.5): one row."""

import sqlalchemy.orm as so

from webapp.extensions import db


class SiteSettings(db.Model):
    __tablename__ = "site_settings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Whether reps may help customers in separate sessions at once (R3.4).
    multi_session_allowed: so.Mapped[bool] = so.mapped_column(default=True)
    # How many customers a rep may help at once, over all its sessions (R3.5).
    customer_cap: so.Mapped[int] = so.mapped_column(default=5)
