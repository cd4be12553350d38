"""Turns session state into the HTML fragments one viewer's socket receives.

The partials are the same files the pages include, so a panel looks the same
whether it came with the page or over the socket (DESIGN.md "templates").
Chat lines are rendered once per language and process, not once per socket;
panels once per kind of viewer, language and process (snapshots.py).
"""

import threading
from collections import OrderedDict

from flask import current_app, render_template
from flask_babel import force_locale

from webapp.display import shared_render
from webapp.extensions import db
from webapp.live.announce import announcement, chat_sentence
from webapp.models import Participant, SupportSession
from webapp.models.base import utcnow
from webapp.services import acd, activities, consent, files, queue_wait
from webapp.services.chat import ChatLine, history_for

_CHAT_CACHE_SIZE = 2048


def panel_context(support_session: SupportSession, viewer: Participant) -> dict:
    return {**session_facts(support_session), "viewer": viewer}


def session_facts(support_session: SupportSession) -> dict:
    """What the panels show of the session, the same for every viewer: a
    snapshot reads it once for all its kinds of viewer (#18)."""
    live = current_app.extensions["live"]
    participants = support_session.present_participants()
    activity_mark, running = activities.listed(support_session.id)
    place = acd.queue_place(support_session)
    return {
        "support_session": support_session,
        "participants": participants,
        "online_ids": live.presence.connected_among([p.id for p in participants]),
        "activities": running,
        "activity_mark": activity_mark,
        "queue_place": place,
        **queue_wait.panel_facts(support_session, place, utcnow()),
        "consent": consent.view(support_session),
    }


def files_panel_context(viewer: Participant) -> dict:
    """What session/_files.html, and for staff dashboard/_recordings.html,
    need for one viewer: the page, the upload's answer and the socket's push
    of a new file all render from this, so they cannot drift apart."""
    support_session = viewer.support_session
    return {
        "support_session": support_session,
        "viewer": viewer,
        "participants": support_session.present_participants(),
        **files.for_page(viewer),
    }


def page_context(support_session: SupportSession, viewer: Participant) -> dict:
    """Everything a session page shows: the panels, the chat history and the files."""
    return {
        **panel_context(support_session, viewer),
        "chat_messages": history_for(viewer),
        **files_panel_context(viewer),
    }


def customer_chat_log(viewer_id: int, locale: str) -> tuple[str, frozenset[int]]:
    """A customer's own chat history for its socket: the snapshot's shared
    log is the staff's, which holds lines from before the customer came."""
    viewer = db.session.get(Participant, viewer_id)
    messages = history_for(viewer) if viewer is not None else []
    with force_locale(locale):
        html = render_template("session/_chat_log.html", chat_messages=messages, oob=True)
    return html, frozenset(message.id for message in messages)


class ChatLineCache:
    """A chat line rendered once per language and process, not once per
    socket; per app, since ids are only unique within one database."""

    def __init__(self, size: int = _CHAT_CACHE_SIZE):
        self._size = size
        self._entries: OrderedDict[tuple[int, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, line: dict, locale: str, spoken: bool = True) -> str:
        """The line for the log, and unless `spoken` is False (its author's
        own page) the sentence a screen reader hears for it."""
        key = (line["id"], locale)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            message = ChatLine.from_dict(line)
            with force_locale(locale), shared_render():
                html = render_template("session/_chat_append.html", message=message)
                sentence = announcement(chat_sentence(message.author_name, message.text))
            # Both texts kept whole: every socket sends the same str object,
            # whose frame frames.FRAMES then finds by one lookup.
            entry = (html + sentence, html)
            with self._lock:
                self._entries[key] = entry
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        spoken_text, unspoken_text = entry
        return spoken_text if spoken else unspoken_text


def render_chat_line(line: dict, locale: str, spoken: bool = True) -> str:
    return current_app.extensions["live"].chat_lines.render(line, locale, spoken)
