from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.base import utcnow


class CannedReply(db.Model):
    """Snabbsvar (#17 item 2): a reply kept for the chat, in Swedish and/or
    English; an owner's own, or shared by an admin with every rep and agent."""

    __tablename__ = "canned_replies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # None: shared, kept by the admins.
    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40))
    text_sv: so.Mapped[str | None] = so.mapped_column(sa.Text)
    text_en: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def as_choice(self) -> dict:
        """What the chat box's list needs."""
        return {"id": self.id, "name": self.name, "sv": self.text_sv, "en": self.text_en}
