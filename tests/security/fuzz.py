"""What the fuzz drills share (#13 item 8): strategies for bad input, a
session for the inputs to try, and the checks after every target.

Each target sends its inputs through `drill`, which then checks: no answer
was 500 or more (a test app raises it, and Hypothesis prints the shortest
input that did), nothing was logged at ERROR, `/healthz` and the sender's own
page still answer, and the database holds nothing it should not
(`stored_badly` says what: a name with control characters, a chat line over
the limit, a value longer than its column, an upload without its row ...).
FUZZ_EXAMPLES=10 multiplies every target's inputs for a deeper search.
"""

import logging
import os
import unicodedata

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import allow_recording
from tests.security.world import ANONYMOUS, CONTROLLER, CUSTOMER, World, stray_uploads
from webapp.extensions import db
from webapp.models import (
    ActivityKind,
    ChatMessage,
    SessionState,
    SiteSettings,
    StaffNote,
    SupportSession,
    User,
)
from webapp.services import activities, chat, customers, notes, queues, sessions

SCALE = int(os.environ.get("FUZZ_EXAMPLES") or 1)
FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,  # no .hypothesis/ folder in the checkout; failures print the input
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}

# Strings that have broken parsers, converters and templates elsewhere.
NASTY = [
    "",
    " ",
    "\x00",
    "\t\r\n",
    "0",
    "-1",
    "2147483648",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "²",
    "١٢٣",
    "٣٤٥ ٦٧٨ ٩٠١",
    "<script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "%s%n",
    "../../etc/passwd",
    "%00",
    "\u202eexe.txt",
    "\ufeff",
    "İ",
    "ﬀ",
    "a" * 81,
    "x" * 1001,
    "y" * 5000,
    "null",
    "[]",
    "{}",
    "true",
    "kim@example.com",
    "kim@@example.com",
    "\u2028",
]
# Text without lone surrogates, which no browser can send in a form.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
VALUE = st.one_of(st.sampled_from(NASTY), ANY_TEXT, st.integers().map(str))
SOME_VALUES = st.one_of(VALUE, st.lists(VALUE, max_size=3))
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


def ids_or(*values) -> st.SearchStrategy:
    """A field holding an id: the world's real ones, nearby numbers, or junk."""
    return st.one_of(st.sampled_from([str(v) for v in values]), st.integers(-3, 40).map(str), VALUE)


def form(**fields) -> st.SearchStrategy:
    """Any subset of the fields, each any value, plus a stray field or two."""
    known = st.fixed_dictionaries({}, optional=fields)
    extra = st.dictionaries(st.text(max_size=12), SOME_VALUES, max_size=2)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


class Fresh:
    """An open session of the controller, with an assistant, a customer and a
    recording running. An input that ended it, handed it over or took a seat
    away gets a new one for the next: the next must have something to try."""

    def __init__(self, world: World):
        self.world = world
        self.ids: dict | None = None

    def __call__(self) -> dict:
        if self.ids is not None and self._intact():
            return self.ids
        self.close()
        world = self.world
        # A fuzzed setting (one customer at a time, no second session) must
        # not refuse the next session before its input is sent.
        db.session.execute(sa.delete(SiteSettings))
        controller = db.session.get(User, world.users[CONTROLLER])
        controller.customer_cap = controller.multi_session = None
        db.session.commit()
        support_session, rep_seat = sessions.start_session(controller)
        assistant = sessions.assist(db.session.get(User, world.ids["rep"]), support_session)
        customer, secret = sessions.join_as_customer(support_session, "Kim Kund")
        activities.start_activity(rep_seat, ActivityKind.VIDEO)
        allow_recording(support_session)
        recording = activities.start_activity(rep_seat, ActivityKind.RECORDING)
        with world.clients[CUSTOMER].session_transaction() as browser_session:
            browser_session["seats"] = {
                # Its end page's forms are fuzzed too (#16 item 4).
                str(world.ids["ended_session"]): world.secrets["ended_customer"],
                str(support_session.id): secret,
            }
        self.ids = {
            "session": support_session.id,
            "number": support_session.number,
            "controller_seat": rep_seat.id,
            "assistant_seat": assistant.id,
            "customer_seat": customer.id,
            "recording_activity": recording.id,
        }
        return self.ids

    def _intact(self) -> bool:
        db.session.rollback()
        support_session = db.session.get(SupportSession, self.ids["session"])
        present = {seat.id for seat in support_session.present_participants()}
        return (
            support_session.state == SessionState.ACTIVE
            and support_session.controller_id == self.ids["controller_seat"]
            and {self.ids["assistant_seat"], self.ids["customer_seat"]} <= present
        )

    def close(self) -> None:
        db.session.rollback()
        if self.ids is None:
            return
        support_session = db.session.get(SupportSession, self.ids["session"])
        if support_session.is_open:
            sessions.end_abandoned(support_session)
        self.ids = None


def world_session(world: World) -> dict:
    """The ids a target that needs no fresh session draws its form against."""
    support_session = db.session.get(SupportSession, world.ids["session"])
    return {**world.ids, "number": support_session.number}


def run(strategy, examples: int, send) -> int:
    """Sends `examples` (times FUZZ_EXAMPLES) inputs; returns how many went."""
    sent = 0

    @settings(max_examples=examples * SCALE, **FUZZ_SETTINGS)
    @given(strategy)
    def fuzz(generated):
        nonlocal sent
        sent += 1
        send(generated)

    fuzz()
    return sent


def drill(world: World, caplog, strategy, examples: int, send, sender: str) -> None:
    """Sends the inputs, then checks what every target must leave behind."""
    bad_before = set(stored_badly(world))
    with caplog.at_level(logging.WARNING):
        sent = run(strategy, examples, send)
    still_serves(world, sender)
    assert sent >= 0.9 * examples * SCALE, f"only {sent} of {examples * SCALE} inputs went"
    assert not logged_errors(caplog)
    assert not newly_stored_badly(world, bad_before)


def answered(response) -> None:
    response.close()  # a download holds its file open until then
    assert response.status_code < 500, response.text


class RecordingSocket:
    connected = True

    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(data)

    def close(self, reason=None, message=None):
        self.connected = False


def still_serves(world: World, kind: str) -> None:
    client = world.clients[kind]
    assert client.get("/healthz").status_code == 200
    page = "/support/" if kind not in (ANONYMOUS, CUSTOMER) else "/"
    assert client.get(page).status_code == 200


def logged_errors(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


# The drill's own words for the rule webapp/services/text.py keeps, so that
# it checks the code rather than repeating it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Columns whose text may hold line breaks (a textarea, a mail body).
MULTI_LINE = {
    ("chat_messages", "text"),
    ("support_sessions", "transfer_message"),
    ("offers", "message"),
    ("outbox_messages", "body"),
    ("staff_notes", "body"),
}
# Names a browser sent, for a person or a queue: tidied, one line.
NAMES = {
    ("participants", "name"),
    ("invitations", "name"),
    ("queues", "name"),
    ("users", "name"),
}


def has_controls(text: str, line_breaks: bool = False) -> bool:
    allowed = "\n\t" if line_breaks else ""
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in allowed) or ch in BIDI_CONTROLS
        for ch in text
    )


def newly_stored_badly(world: World, before: set[str]) -> list[str]:
    """What this target's inputs left (the world is shared by the module)."""
    return [found for found in stored_badly(world) if found not in before]


def stored_badly(world: World) -> list[str]:
    """What the database should never hold, whatever was sent."""
    db.session.rollback()
    found = []
    for table in db.metadata.sorted_tables:
        text_columns = [c for c in table.columns if isinstance(c.type, sa.String)]
        for column in text_columns:
            where = (table.name, column.name)
            for (value,) in db.session.execute(sa.select(column).where(column.is_not(None))):
                if column.type.length and len(value) > column.type.length:
                    found.append(f"{table.name}.{column.name} longer than its column: {value!r}")
                if has_controls(value, line_breaks=where in MULTI_LINE):
                    found.append(f"{table.name}.{column.name} with control characters: {value!r}")
                if where in NAMES and value != " ".join(value.split()):
                    found.append(f"{table.name}.{column.name} untidy: {value!r}")
    for text in db.session.scalars(sa.select(ChatMessage.text)):
        if not text.strip() or len(text) > chat.CHAT_MAX:
            found.append(f"chat line empty or over {chat.CHAT_MAX}: {text[:40]!r}…")
    for body in db.session.scalars(sa.select(StaffNote.body)):
        if not body.strip() or len(body) > notes.NOTE_MAX:
            found.append(f"staff note empty or over {notes.NOTE_MAX}: {body[:40]!r}…")
    for user in db.session.scalars(sa.select(User)):
        if user.customer_cap is not None and not 1 <= user.customer_cap <= customers.CAP_MAX:
            found.append(f"{user.email} customer cap {user.customer_cap}")
        if not 1 <= user.acd_capacity <= queues.CAPACITY_MAX:
            found.append(f"{user.email} capacity {user.acd_capacity}")
        if user.locale not in (None, "sv", "en"):
            found.append(f"{user.email} locale {user.locale!r}")
    site = db.session.get(SiteSettings, 1)
    if site is not None and not 1 <= site.customer_cap <= customers.CAP_MAX:
        found.append(f"site customer cap {site.customer_cap}")
    found += [f"upload without a row: {path}" for path in stray_uploads(world.app)]
    db.session.rollback()
    return found


# How many examples the request and socket drills send; test_fuzz_forms
# checks that all drills together send at least 1000.
QUERIES, PATH_ARGUMENTS, BODIES = 200, 100, 150  # test_fuzz_requests
SOCKET_MESSAGES = 300  # test_fuzz_sockets
