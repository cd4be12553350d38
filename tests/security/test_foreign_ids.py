"""Another session's ids (#13 item 8): the people of one session try every
route that takes an id, and every kind of socket message, with the ids of
another session (tests/security/world.py: S is theirs, T is not).

Every route with an argument in its path is tried twice, by the controller
and by the customer of S: with T's ids throughout, and with S's session id
around T's participant, activity, file or recording. Ids that travel in forms,
in a seat cookie and in socket messages follow. Each try must be refused
(a 4xx or the login page), change no row, and show nothing of T: its number,
its customer's name, its file's name. A failure names the try:
    <why>: <kind> <METHOD> <path> -> <got>, expected <acceptable>
"""

import io
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa

from tests.security.route_table import LOGIN, REDIRECTS, routes
from tests.security.world import (
    ADMIN,
    AGENT,
    ASSISTANT,
    CONTROLLER,
    CUSTOMER,
    REP,
    World,
    changed_tables,
    fingerprint,
    open_socket,
    seat_customer,
    stray_uploads,
)
from webapp.extensions import db
from webapp.live.connection import SessionConnection
from webapp.live.limits import POLICY_VIOLATION
from webapp.models import ChatMessage, Participant

REFUSED = frozenset({LOGIN, 400, 403, 404, 409, 410})
# Each path argument: the world's key for S's object and for T's.
OWN_AND_FOREIGN = {
    "support_session_id": ("session", "other_session"),
    "participant_id": ("customer_seat", "other_customer_seat"),
    "activity_id": ("share", "other_share"),
    "file_id": ("file", "other_file"),
    "invitation_id": ("invitation", "other_customer_invitation"),
}
BY_ENDPOINT = {
    "dashboard.record": {"support_session_id": ("ended_session", "other_ended_session")},
    "files.download_recording": {"file_id": ("recording", "other_recording")},
}


@dataclass(frozen=True)
class Try:
    why: str
    kind: str
    method: str
    endpoint: str
    values: dict  # path argument -> the world's key, or ("literal", value)
    form: dict = field(default_factory=dict)  # field -> the world's key, or ("literal", value)
    files: dict = field(default_factory=dict)  # field -> file name
    acceptable: frozenset = REFUSED


def session_tries(app) -> list[Try]:
    """Every route with a session in its path, by S's controller and customer."""
    tries = []
    for (method, endpoint), rule in routes(app).items():
        if "support_session_id" not in rule.arguments or endpoint.startswith("live"):
            continue
        keys = {**OWN_AND_FOREIGN, **BY_ENDPOINT.get(endpoint, {})}
        foreign = {argument: keys[argument][1] for argument in rule.arguments}
        for kind in (CONTROLLER, CUSTOMER):
            tries.append(Try("T's ids throughout", kind, method, endpoint, foreign))
            if len(rule.arguments) > 1:
                mixed = {**foreign, "support_session_id": keys["support_session_id"][0]}
                tries.append(Try("T's object under S's session", kind, method, endpoint, mixed))
    return tries


# Ids in forms and in the paths of routes without a session.
OTHER_TRIES = [
    Try(
        "control to T's assistant",
        CONTROLLER,
        "POST",
        "dashboard.transfer_control",
        {"support_session_id": "session"},
        form={"participant_id": "other_assistant_seat"},
    ),
    Try(
        "control to T's customer",
        CONTROLLER,
        "POST",
        "dashboard.transfer_control",
        {"support_session_id": "session"},
        form={"participant_id": "other_customer_seat"},
    ),
    Try(
        "a file for T's customer",
        CUSTOMER,
        "POST",
        "files.upload",
        {"support_session_id": "session"},
        form={"recipient": "other_customer_seat"},
        files={"file": "note.txt"},
    ),
    Try(
        "a file for T's rep",
        CONTROLLER,
        "POST",
        "files.upload",
        {"support_session_id": "session"},
        form={"recipient": "other_rep_seat"},
        files={"file": "note.txt"},
    ),
    Try(
        "a recording for T's recording activity",
        CONTROLLER,
        "POST",
        "files.upload_recording",
        {"support_session_id": "session"},
        form={
            "activity_id": "other_recording_activity",
            "offset": ("literal", "0"),
            "elapsed_ms": ("literal", "1"),
        },
        files={"chunk": "r.webm"},
    ),
    Try(
        "S's recording activity, stored into T",
        CONTROLLER,
        "POST",
        "files.upload_recording",
        {"support_session_id": "other_session"},
        form={
            "activity_id": "recording_activity",
            "offset": ("literal", "0"),
            "elapsed_ms": ("literal", "1"),
        },
        files={"chunk": "r.webm"},
    ),
    Try("another agent's offer", CONTROLLER, "POST", "acd.accept", {"offer_id": "offer"}),
    # The controller's own canned reply, by another rep and by the admin.
    Try("another rep's canned reply", REP, "POST", "replies.remove", {"reply_id": "reply"}),
    Try("a rep's own reply, by the admin", ADMIN, "POST", "replies.remove", {"reply_id": "reply"}),
    Try("an offer, by a rep", REP, "POST", "acd.accept", {"offer_id": "offer"}),
    Try(
        "a transfer to a rep who is no agent",
        CONTROLLER,
        "POST",
        "acd.transfer",
        {"support_session_id": "session"},
        form={"target": ("literal", "agents"), "agent_id": "rep"},
    ),
    Try(
        "a transfer to no queue",
        CONTROLLER,
        "POST",
        "acd.transfer",
        {"support_session_id": "session"},
        form={"queue_id": ("literal", "999999")},
    ),
    Try(
        "the customer link of T at the rep door",
        REP,
        "GET",
        "support.redeem",
        {"token": ("token", "other_customer")},
    ),
    Try(
        "a rep link at the customer door",
        CUSTOMER,
        "GET",
        "join.redeem",
        {"token": ("token", "other_rep")},
    ),
    Try(
        "a rep link at the customer door, posted",
        CUSTOMER,
        "POST",
        "join.redeem",
        {"token": ("token", "other_rep")},
        form={"name": ("literal", "Kim")},
    ),
    Try("an admin as a rep", ADMIN, "POST", "admin.save_rep", {"user_id": "admin"}),
    Try("a rep's settings, by a rep", REP, "POST", "admin.save_rep", {"user_id": "rep"}),
    Try("a rep as an agent", ADMIN, "POST", "admin_queues.capacity", {"user_id": "rep"}),
    Try("no such queue", ADMIN, "POST", "admin_queues.rename", {"queue_id": ("literal", 99999)}),
    Try(
        "no such queue's hours",
        ADMIN,
        "POST",
        "admin_queues.hours",
        {"queue_id": ("literal", 99999)},
    ),
    Try(
        "a rep into a queue",
        ADMIN,
        "POST",
        "admin_queues.add_agent",
        {"queue_id": "queue"},
        form={"agent_id": "rep"},
    ),
    Try(
        "a rep out of a queue",
        ADMIN,
        "POST",
        "admin_queues.remove_agent",
        {"queue_id": "queue", "user_id": "rep"},
    ),
    Try(
        "a queue, by an agent",
        AGENT,
        "POST",
        "admin_queues.remove_agent",
        {"queue_id": "queue", "user_id": "agent"},
    ),
    Try(
        "a report of no queue",
        ADMIN,
        "GET",
        "reports.export",
        {"table": ("literal", "agents")},
        form={"queue": ("literal", "999999")},
        acceptable=frozenset({400}),
    ),
    Try(
        "a report by a rep",
        REP,
        "GET",
        "reports.export",
        {"table": ("literal", "queues")},
    ),
    Try(
        "T as a tab of the multi-session window",
        CONTROLLER,
        "GET",
        "multi.window",
        {},
        form={"tab": "other_session", "invite": ("literal", "1")},
        acceptable=frozenset({200}),  # the window, without T in it
    ),
]


def value_of(world: World, meaning):
    if isinstance(meaning, tuple):
        where, value = meaning
        return world.tokens[value] if where == "token" else value
    return world.ids[meaning]


def send_try(world: World, attempt: Try, rule):
    path = rule.build({a: value_of(world, m) for a, m in attempt.values.items()})[1]
    data = {name: str(value_of(world, meaning)) for name, meaning in attempt.form.items()}
    client = world.clients[attempt.kind]
    if attempt.method == "GET":
        return path, client.get(path, query_string=data)
    for name, filename in attempt.files.items():
        data[name] = (io.BytesIO(b"data"), filename)
    return path, client.post(path, data=data, content_type="multipart/form-data")


def outcome_of(response):
    if response.status_code in REDIRECTS and urlsplit(response.location).path == "/login":
        return LOGIN
    return response.status_code


def test_every_id_taking_route_is_tried(drill_app):
    tried = {(t.method, t.endpoint) for t in session_tries(drill_app) + OTHER_TRIES}
    tried |= {("GET", "live.session_socket"), ("GET", "live_user.user_socket")}  # below
    taking = {key for key, rule in routes(drill_app).items() if rule.arguments}
    assert not taking - tried, f"id-taking routes nobody tries: {sorted(taking - tried)}"


def test_another_sessions_ids_open_nothing(world):
    rules = routes(world.app)
    failures = []
    for attempt in session_tries(world.app) + OTHER_TRIES:
        before = fingerprint()
        try:
            path, response = send_try(world, attempt, rules[(attempt.method, attempt.endpoint)])
        except Exception as error:  # a 500 in a test app raises here
            failures.append(f"{attempt.why}: {attempt.kind} {attempt.endpoint} -> {error!r}")
            continue
        response.close()
        got = outcome_of(response)
        where = f"{attempt.why}: {attempt.kind} {attempt.method} {path}"
        if got not in attempt.acceptable:
            failures.append(f"{where} -> {got}, expected {sorted(attempt.acceptable, key=str)}")
        if changed := changed_tables(before, fingerprint()):
            failures.append(f"{where} -> {got} changed {changed}")
        if stray := stray_uploads(world.app):
            failures.append(f"{where} -> {got} left files {stray}")
        body = response.get_data(as_text=True)
        if leaked := [mark for mark in world.other_session_marks if mark in body]:
            failures.append(f"{where} -> {got} shows {leaked}")
    assert not failures, "\n" + "\n".join(failures)


def test_a_seat_secret_opens_only_its_own_session(world):
    """The customer's secret, planted under T's number in the cookie."""
    client = world.clients[CUSTOMER]
    seat_customer(client, world.ids["other_session"], world.secrets[CUSTOMER])
    session_id, file_id = world.ids["other_session"], world.ids["other_file"]
    before = fingerprint()
    assert client.get(f"/join/session/{session_id}").status_code == 403
    assert client.get(f"/sessions/{session_id}/files/{file_id}").status_code == 404
    started = client.post(f"/sessions/{session_id}/activities", data={"kind": "video"})
    assert started.status_code == 404
    assert client.post(f"/join/session/{session_id}/leave").status_code == 403
    assert changed_tables(before, fingerprint()) == []


# Sockets.


def test_a_socket_opens_only_for_the_sessions_own_people(world, world_server):
    served = world_server  # the port
    session, other = world.ids["session"], world.ids["other_session"]
    clients = world.clients
    assert open_socket(served, clients[CUSTOMER], f"/live/sessions/{session}") == "open"
    assert open_socket(served, clients[CONTROLLER], f"/live/sessions/{session}") == "open"
    refused = {
        "S's customer into T": open_socket(served, clients[CUSTOMER], f"/live/sessions/{other}"),
        "S's rep into T": open_socket(served, clients[CONTROLLER], f"/live/sessions/{other}"),
        "S's assistant into T": open_socket(served, clients[ASSISTANT], f"/live/sessions/{other}"),
        "a rep's inbox": open_socket(served, clients[REP], "/live/me/inbox"),
        "no such view": open_socket(served, clients[AGENT], "/live/me/nothing"),
    }
    assert refused == dict.fromkeys(refused, POLICY_VIOLATION)
    assert open_socket(served, clients[AGENT], "/live/me/inbox") == "open"


class RecordingSocket:
    connected = True

    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(data)


def incoming(message: dict) -> dict:
    return {"kind": "incoming", "data": json.dumps(message)}


def test_socket_messages_with_another_sessions_ids_reach_nobody_there(world):
    ids = world.ids
    bus = world.app.extensions["live"].bus
    heard_in_t = bus.subscribe(ids["other_session"])
    heard_in_s = bus.subscribe(ids["session"])
    with world.app.test_request_context():
        page = SessionConnection(RecordingSocket(), ids["session"], ids["customer_seat"], "sv")
        for addressee in ("other_customer_seat", "other_rep_seat"):
            page._handle(
                [incoming({"signal": {"hello": True}, "to": ids[addressee], "page": "p1"})]
            )
        page._handle([incoming({"microphone": True, "participant_id": ids["other_customer_seat"]})])
        page._handle(
            [
                incoming(
                    {
                        "message": "Hej",
                        "support_session_id": ids["other_session"],
                        "participant_id": ids["other_customer_seat"],
                    }
                )
            ]
        )
        rep_page = SessionConnection(
            RecordingSocket(), ids["session"], ids["controller_seat"], "sv"
        )
        rep_page._handle(
            [
                incoming(
                    {
                        "signal": {"hello": True},
                        "to": ids["customer_seat"],
                        "from": ids["other_customer_seat"],
                        "page": "p2",
                    }
                )
            ]
        )
    assert heard_in_t.drain() == []
    relayed = [m for m in heard_in_s.drain() if m["kind"] == "signal"]
    assert [m["from"] for m in relayed] == [ids["controller_seat"]]  # not the claimed sender
    db.session.rollback()
    other_customer = db.session.get(Participant, ids["other_customer_seat"])
    assert other_customer.has_microphone is False
    lines = db.session.execute(
        sa.select(ChatMessage.support_session_id, ChatMessage.participant_id)
    )
    assert lines.all() == [(ids["session"], ids["customer_seat"])]
