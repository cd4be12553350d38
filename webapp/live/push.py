"""Turns session state into the HTML fragments one viewer's socket receives.

The partials are the same files the pages include, so a panel looks the same
whether it came with the page or over the socket (DESIGN.md "templates").
Panels and chat lines are rendered once per kind of viewer, language and
process, not once per socket.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale

from webapp.display import shared_render
from webapp.extensions import db
from webapp.live.announce import announcement, chat_sentence
from webapp.models import Participant, SupportSession
from webapp.models.base import utcnow
from webapp.services import acd, activities, consent, files, queue_wait
from webapp.services.chat import ChatLine, history_for, recent_messages

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


@dataclass
class PanelSnapshot:
    """A session's panels as every kind of viewer sees them, at one point of
    the event stream. Sockets of one process that render at the same
    generation share it: a burst of five arrivals costs one render per kind
    of viewer, not one per socket (#4)."""

    generation: int
    is_open: bool
    kinds: dict[int, str]  # participant id -> kind of viewer
    html: dict[str, str]  # kind of viewer -> the panels it is sent
    chat_html: str
    chat_ids: frozenset[int]  # the lines chat_html holds, shared by its sockets
    oldest_line_at: datetime | None = None  # of the lines chat_html holds
    joined: dict[int, datetime] = field(default_factory=dict)  # participant id -> joined_at

    def log_is_whole_for(self, participant_id: int) -> bool:
        """Whether a customer's own chat log (chat.history_for: the newest
        lines said since they joined) is exactly the shared one: it is when
        every line of the shared log came after they joined, since the
        shared log is the newest lines of all. Then their socket needs no
        query and no render of its own (#18's connect storms)."""
        joined = self.joined.get(participant_id)
        if joined is None:
            return False
        return self.oldest_line_at is None or self.oldest_line_at >= joined


def viewer_kind(
    support_session: SupportSession, participant: Participant, asked: frozenset[int] = frozenset()
) -> str:
    if not participant.is_staff:
        # A customer waiting while the rep helps another reads other words (R3.1).
        waiting = support_session.helped_participant_id not in (None, participant.id)
        kind = "customer_waiting" if waiting else "customer"
        # A customer asked to allow recording sees the question (#16 item 4).
        return kind + "_asked" if participant.id in asked else kind
    return "controller" if support_session.controller_id == participant.id else "staff"


class PanelCache:
    def __init__(self, size: int = 4096):
        self._size = size
        self._entries: OrderedDict[tuple[int, str], PanelSnapshot] = OrderedDict()
        self._build_locks: dict[tuple[int, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def snapshot(self, support_session_id: int, locale: str, generation: int) -> PanelSnapshot:
        key = (support_session_id, locale)
        with self._lock:
            build_lock = self._build_locks.setdefault(key, threading.Lock())
        with build_lock:  # one socket builds; the others wait and share it
            with self._lock:
                entry = self._entries.get(key)
            if entry is None or entry.generation < generation:
                entry = _build_snapshot(support_session_id, locale, generation)
                with self._lock:
                    self._entries[key] = entry
                    self._entries.move_to_end(key)
                    while len(self._entries) > self._size:
                        evicted, _ = self._entries.popitem(last=False)
                        self._build_locks.pop(evicted, None)
        return entry


def _build_snapshot(support_session_id: int, locale: str, generation: int) -> PanelSnapshot:
    support_session = db.session.get(SupportSession, support_session_id)
    representatives: dict[str, Participant] = {}
    kinds: dict[int, str] = {}
    asked = consent.asked_ids(support_session)
    consent_panel = consent.ever_asked(support_session)
    for participant in support_session.participants:
        if participant.left_at is None or not support_session.is_open:
            kind = viewer_kind(support_session, participant, asked)
            kinds[participant.id] = kind
            representatives.setdefault(kind, participant)
    messages = recent_messages(support_session_id)
    facts = session_facts(support_session)
    with force_locale(locale), shared_render():
        html = {}
        for kind, viewer in representatives.items():
            context = {**facts, "viewer": viewer}
            if support_session.is_open:
                parts = [
                    "session/_participants.html",
                    "session/_status.html",
                    "session/_activities.html",
                    "session/_media_controls.html",
                ]
                if consent_panel:  # a session nobody was asked to record pays nothing
                    parts.append("session/_consent.html")
                if not kind.startswith("customer"):  # staff controls follow control (R5.2)
                    parts += ["dashboard/_session_actions.html", "dashboard/_tools_actions.html"]
                html[kind] = "".join(render_template(part, oob=True, **context) for part in parts)
            else:
                html[kind] = render_template("session/_ended.html", oob=True, **context)
        chat_html = render_template("session/_chat_log.html", chat_messages=messages, oob=True)
    return PanelSnapshot(
        generation=generation,
        is_open=support_session.is_open,
        kinds=kinds,
        html=html,
        chat_html=chat_html,
        chat_ids=frozenset(message.id for message in messages),
        oldest_line_at=min((message.created_at for message in messages), default=None),
        joined={
            participant.id: participant.joined_at for participant in support_session.participants
        },
    )


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
