"""Snabbsvar (#17 item 2): replies a rep or an agent keeps for the chat,
their own or shared by an admin, each with a short name and a text in
Swedish and/or English."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import CannedReply, User
from webapp.services.chat import CHAT_MAX
from webapp.services.errors import ServiceError
from webapp.services.text import lines, one_line

NAME_MAX = 40
NO_SUCH_REPLY = _l("There is no such canned reply.")


def available_to(user: User) -> list[CannedReply]:
    """The shared replies and the user's own, by name."""
    return list(
        db.session.scalars(
            sa.select(CannedReply)
            .where(sa.or_(CannedReply.owner_id.is_(None), CannedReply.owner_id == user.id))
            .order_by(sa.func.lower(CannedReply.name), CannedReply.id)
        )
    )


def add(user: User, name: str, text_sv: str, text_en: str, shared: bool = False) -> CannedReply:
    if shared and not user.is_admin:
        raise ServiceError(_l("Only an administrator can share a canned reply."), 403)
    name = one_line(name)
    if not name:
        raise ServiceError(_l("Give the reply a short name."), 400, field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(
            _l("A name can be at most %(max)d characters.", max=NAME_MAX), 400, field="name"
        )
    texts = {}
    for field, text in (("text_sv", text_sv), ("text_en", text_en)):
        text = lines(text or "").strip()
        if len(text) > CHAT_MAX:
            raise ServiceError(
                _l("A message can be at most %(max)d characters.", max=CHAT_MAX), 400, field=field
            )
        texts[field] = text or None
    if not any(texts.values()):
        raise ServiceError(_l("Write the reply in Swedish, English or both."), 400, field="text_sv")
    reply = CannedReply(owner_id=None if shared else user.id, name=name, **texts)
    db.session.add(reply)
    db.session.commit()
    return reply


def remove(user: User, reply_id: int) -> None:
    """Owners remove their own; admins the shared ones. Anyone else's is not
    there, as far as the asker can tell."""
    reply = db.session.get(CannedReply, reply_id)
    mine = reply is not None and reply.owner_id == user.id
    if reply is None or not (mine or (reply.is_shared and user.is_admin)):
        raise ServiceError(NO_SUCH_REPLY, 404)
    db.session.delete(reply)
    db.session.commit()
