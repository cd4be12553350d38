"""Turns session state into the HTML fragments one viewer's socket receives.

The partials are the same files the pages include, so a panel looks the same
whether it came with the page or over the socket (DESIGN.md "templates").
A chat line looks the same to every viewer of one language, so it is rendered
once per language and process, not once per socket.
"""

import threading
from collections import OrderedDict

from flask import current_app, render_template
from flask_babel import force_locale

from webapp.models import Participant, SupportSession
from webapp.services.chat import ChatLine, recent_messages

_CHAT_CACHE_SIZE = 2048
_chat_cache: OrderedDict[tuple[int, str], str] = OrderedDict()
_chat_cache_lock = threading.Lock()


def panel_context(support_session: SupportSession, viewer: Participant) -> dict:
    live = current_app.extensions["live"]
    participants = support_session.present_participants()
    return {
        "support_session": support_session,
        "viewer": viewer,
        "participants": participants,
        "online_ids": live.presence.connected_among([p.id for p in participants]),
    }


def page_context(support_session: SupportSession, viewer: Participant) -> dict:
    """Everything a session page shows: the panels and the chat history."""
    return {
        **panel_context(support_session, viewer),
        "chat_messages": recent_messages(support_session.id),
    }


def render_panels(support_session: SupportSession, viewer: Participant, locale: str) -> str:
    with force_locale(locale):
        context = panel_context(support_session, viewer)
        if not support_session.is_open:
            return render_template("session/_ended.html", oob=True, **context)
        return render_template("session/_participants.html", oob=True, **context) + (
            render_template("session/_status.html", oob=True, **context)
        )


def render_chat_log(support_session_id: int, locale: str) -> tuple[str, int]:
    """The whole chat panel's log, and the newest message id in it."""
    messages = recent_messages(support_session_id)
    with force_locale(locale):
        html = render_template("session/_chat_log.html", chat_messages=messages, oob=True)
    return html, messages[-1].id if messages else 0


def render_chat_line(line: dict, locale: str) -> str:
    key = (line["id"], locale)
    with _chat_cache_lock:
        if key in _chat_cache:
            _chat_cache.move_to_end(key)
            return _chat_cache[key]
    with force_locale(locale):
        html = render_template("session/_chat_append.html", message=ChatLine.from_dict(line))
    with _chat_cache_lock:
        _chat_cache[key] = html
        while len(_chat_cache) > _CHAT_CACHE_SIZE:
            _chat_cache.popitem(last=False)
    return html
