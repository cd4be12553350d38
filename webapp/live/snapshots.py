"""A session's panels as every kind of viewer sees them, built once per
process and point of the event stream, and shared by the sockets that render
there (#4).

Most events change what the panels show, and the snapshot is built again from
the database. A presence event (a page opened, or a seat's last page closed)
changes only who is shown as connected: the participants panel is rendered
again from what the last build kept, with no query. In a connect storm every
socket that connects publishes one, and a whole build for each was what kept
a thousand pages from their first panels for seconds (#18).
"""

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import SimpleNamespace
from typing import NamedTuple

import sqlalchemy.orm as so
from flask import current_app, render_template
from flask_babel import force_locale

from webapp.display import shared_render
from webapp.extensions import db, reads_on_their_own
from webapp.live.bus import Generation
from webapp.live.push import session_facts
from webapp.models import Participant, SupportSession
from webapp.services import consent
from webapp.services.chat import recent_messages

# The panels after the participants one, in the order the pages hold them.
OPEN_PANELS = (
    "session/_status.html",
    "session/_activities.html",
    "session/_media_controls.html",
)
CONSENT_PANEL = "session/_consent.html"
STAFF_PANELS = ("dashboard/_session_actions.html", "dashboard/_tools_actions.html")


@dataclass(frozen=True)
class ParticipantsPanel:
    """What session/_participants.html reads, as plain values: a presence
    change renders it again without the database, and a build renders it
    from the same values, so the two cannot differ."""

    support_session: SimpleNamespace  # id, controller_id, helped_participant_id
    participants: tuple[SimpleNamespace, ...]  # id, role, name, locale
    viewers: dict[str, SimpleNamespace]  # kind of viewer -> is_controller
    online_ids: frozenset[int]

    @classmethod
    def of(
        cls,
        support_session: SupportSession,
        participants: list[Participant],
        representatives: dict[str, Participant],
        online_ids: set[int],
    ) -> "ParticipantsPanel":
        return cls(
            support_session=SimpleNamespace(
                id=support_session.id,
                controller_id=support_session.controller_id,
                helped_participant_id=support_session.helped_participant_id,
            ),
            participants=tuple(
                SimpleNamespace(id=p.id, role=p.role, name=p.name, locale=p.locale)
                for p in participants
            ),
            viewers={
                kind: SimpleNamespace(is_controller=support_session.controller_id == viewer.id)
                for kind, viewer in representatives.items()
            },
            online_ids=frozenset(online_ids),
        )

    def render(self, kind: str) -> str:
        return render_template(
            "session/_participants.html",
            oob=True,
            support_session=self.support_session,
            participants=self.participants,
            viewer=self.viewers[kind],
            online_ids=self.online_ids,
        )


class ChatLog(NamedTuple):
    html: str
    ids: frozenset[int]  # the lines it holds
    oldest_line_at: datetime | None  # of the lines it holds


class SharedChatLog:
    """The session's newest lines as a page gets them when its socket opens
    or resyncs, read and rendered when the first such socket asks, not by
    every build: every panel change (someone joining, an activity starting)
    rendered the whole log again, 8 of a build's 12 ms with 200 lines (#18).
    Read after its build, it may hold lines newer than the build's
    generation; a socket skips those when their events arrive
    (SessionConnection.chat_ids_in_log)."""

    def __init__(self, support_session_id: int, locale: str, log: ChatLog | None = None):
        self.support_session_id = support_session_id
        self.locale = locale
        self._log = log
        self._lock = threading.Lock()

    def read(self) -> ChatLog:
        with self._lock:  # one socket reads; the others wait and share it
            if self._log is None:
                with _reads_before_rendering():
                    messages = recent_messages(self.support_session_id)
                with force_locale(self.locale), shared_render():
                    html = render_template(
                        "session/_chat_log.html", chat_messages=messages, oob=True
                    )
                self._log = ChatLog(
                    html,
                    frozenset(message.id for message in messages),
                    min((message.created_at for message in messages), default=None),
                )
            return self._log


@dataclass
class PanelSnapshot:
    """A session's panels as every kind of viewer sees them, at one point of
    the event stream. Sockets of one process that render at the same
    generation share it: a burst of five arrivals costs one render per kind
    of viewer, not one per socket (#4)."""

    generation: Generation
    is_open: bool
    kinds: dict[int, str]  # participant id -> kind of viewer
    # For each kind of viewer its panels, in two parts: the participants
    # panel, which a presence change renders again, and the others (or the
    # ended panel). Kept apart and joined per send: kept joined as well,
    # every session's panels were held twice, 12 KiB of each idle socket
    # at 1,000 sockets (#18).
    participants_html: dict[str, str]
    rest_html: dict[str, str]
    chat_log: SharedChatLog  # the same one after a presence change
    joined: dict[int, datetime] = field(default_factory=dict)  # participant id -> joined_at
    # The participants panel's values, for a presence change (None once ended).
    participants_panel: ParticipantsPanel | None = None

    def parts(self, kind: str) -> tuple[str, str]:
        """What a viewer of this kind is sent: the participants panel (empty
        once ended) and the others, as the snapshot keeps them."""
        return self.participants_html.get(kind, ""), self.rest_html[kind]

    def panels(self, kind: str) -> str:
        """What a viewer of this kind is sent, whole."""
        return "".join(self.parts(kind))

    def log_is_whole_for(self, participant_id: int, shared: ChatLog) -> bool:
        """Whether a customer's own chat log (chat.history_for: the newest
        lines said since they joined) is exactly the `shared` one: it is when
        every line of the shared log came after they joined, since the
        shared log is the newest lines of all. Then their socket needs no
        query and no render of its own (#18's connect storms)."""
        joined = self.joined.get(participant_id)
        if joined is None:
            return False
        return shared.oldest_line_at is None or shared.oldest_line_at >= joined

    def with_online(
        self, generation: Generation, online_ids: set[int], locale: str
    ) -> "PanelSnapshot":
        """The same snapshot at a later generation that only presence moved."""
        panel = self.participants_panel
        if panel is None or panel.online_ids == online_ids:
            return replace(self, generation=generation)
        panel = replace(panel, online_ids=frozenset(online_ids))
        with force_locale(locale), shared_render():
            html = {kind: panel.render(kind) for kind in self.participants_html}
        return replace(
            self, generation=generation, participants_html=html, participants_panel=panel
        )


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


# Whole builds that run at once in a process. A build is milliseconds of
# queries and templates, and gevent switches among all ready greenlets at
# each wait, so N builds share the CPU and all finish near N times one build:
# in a connect storm, where each session's first page starts one, the last
# first panel came at 3.7-4.8 s. Two at a time finish in turn (2.6-2.8 s),
# and keep one build's queries overlapping the other's templates (#18).
BUILDS_AT_ONCE = 2


class PanelCache:
    def __init__(self, size: int = 4096):
        self._size = size
        self._entries: OrderedDict[tuple[int, str], PanelSnapshot] = OrderedDict()
        self._build_locks: dict[tuple[int, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._builds = threading.BoundedSemaphore(BUILDS_AT_ONCE)

    def snapshot(
        self, support_session_id: int, locale: str, generation: Generation
    ) -> PanelSnapshot:
        key = (support_session_id, locale)
        with self._lock:
            build_lock = self._build_locks.setdefault(key, threading.Lock())
        with build_lock:  # one socket builds; the others wait and share it
            with self._lock:
                entry = self._entries.get(key)
            if entry is None or entry.generation.changes < generation.changes:
                with self._builds:
                    entry = _build_snapshot(support_session_id, locale, generation)
            elif entry.generation.events < generation.events:
                entry = _with_presence(entry, generation, locale)
            else:
                return entry
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    evicted, _ = self._entries.popitem(last=False)
                    self._build_locks.pop(evicted, None)
        return entry


def _with_presence(entry: PanelSnapshot, generation: Generation, locale: str) -> PanelSnapshot:
    panel = entry.participants_panel
    if panel is None:  # an ended session shows nobody's presence
        return replace(entry, generation=generation)
    presence = current_app.extensions["live"].presence
    online = presence.connected_among([participant.id for participant in panel.participants])
    return entry.with_online(generation, online, locale)


@contextmanager
def _reads_before_rendering():
    """Runs the reads inside it on their own (reads_on_their_own), then ends
    their read-only transaction and keeps what they loaded: the connection
    goes back to the pool before the templates run, some 60 % of a build.
    Held through them, a connect storm needed more connections than its
    queries did, and the pool opened and closed PostgreSQL sessions by the
    hundred (#18). Reads inside a caller's transaction leave it alone."""
    session = db.session()
    began_here = not session.in_transaction()
    reads_on_their_own()
    yield
    if not began_here:
        return
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def _build_snapshot(support_session_id: int, locale: str, generation: Generation) -> PanelSnapshot:
    # Staff seats' users come with the seats: the session actions panel asks
    # whether its viewer is an agent, after the connection has gone back.
    seats_with_users = so.selectinload(SupportSession.participants).joinedload(Participant.user)
    representatives: dict[str, Participant] = {}
    kinds: dict[int, str] = {}
    with _reads_before_rendering():
        support_session = db.session.get(
            SupportSession, support_session_id, options=[seats_with_users]
        )
        asked = consent.asked_ids(support_session)
        for participant in support_session.participants:
            if participant.left_at is None or not support_session.is_open:
                kind = viewer_kind(support_session, participant, asked)
                kinds[participant.id] = kind
                representatives.setdefault(kind, participant)
        facts = session_facts(support_session)
    panel = None
    participants_html: dict[str, str] = {}
    rest: dict[str, str] = {}
    with force_locale(locale), shared_render():
        if support_session.is_open:
            panel = ParticipantsPanel.of(
                support_session, facts["participants"], representatives, facts["online_ids"]
            )
            parts = list(OPEN_PANELS)
            if consent.ever_asked(support_session):  # nobody asked pays nothing
                parts.append(CONSENT_PANEL)
            for kind, viewer in representatives.items():
                context = {**facts, "viewer": viewer}
                own = parts if kind.startswith("customer") else [*parts, *STAFF_PANELS]
                # Staff controls follow control (R5.2).
                rest[kind] = "".join(render_template(p, oob=True, **context) for p in own)
                participants_html[kind] = panel.render(kind)
        else:
            for kind, viewer in representatives.items():
                context = {**facts, "viewer": viewer}
                rest[kind] = render_template("session/_ended.html", oob=True, **context)
    return PanelSnapshot(
        generation=generation,
        is_open=support_session.is_open,
        kinds=kinds,
        participants_html=participants_html,
        rest_html=rest,
        chat_log=SharedChatLog(support_session_id, locale),
        joined={
            participant.id: participant.joined_at for participant in support_session.participants
        },
        participants_panel=panel,
    )
