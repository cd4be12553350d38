"""The fuzz drill for forms (#13 item 8): every form of the app gets inputs
Hypothesis generates, from junk to nearly right, as the user it is for
(tests/security/fuzz.py says what is checked after each). With the query
strings, path arguments, bodies (test_fuzz_requests.py) and socket messages
(test_fuzz_sockets.py), well over 1,000 inputs.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st

from tests.security.fuzz import (
    ANY_TEXT,
    BODIES,
    NASTY,
    PATH_ARGUMENTS,
    QUERIES,
    SOCKET_MESSAGES,
    SOME_VALUES,
    VALUE,
    Fresh,
    answered,
    drill,
    form,
    ids_or,
    world_session,
)
from tests.security.route_table import path_of, routes
from tests.security.world import ADMIN, ANONYMOUS, CONTROLLER, CUSTOMER, REP, World
from webapp.models import ActivityKind


@dataclass
class Target:
    name: str
    kind: str
    method: str
    endpoint: str
    fields: Callable[[World, dict], st.SearchStrategy]  # (world, session ids) -> forms
    examples: int = 40
    files: tuple[str, ...] = ()  # fields sent as uploads
    fresh: bool = False  # against a session of the target's own (Fresh)


TARGETS = [
    Target(
        "log in",
        ANONYMOUS,
        "POST",
        "auth.login",
        lambda w, s: form(email=st.one_of(st.emails(), VALUE), password=VALUE),
    ),
    Target(
        "language",
        ANONYMOUS,
        "POST",
        "main.language",
        lambda w, s: form(locale=st.sampled_from(["sv", "en", *NASTY]), next=VALUE),
    ),
    Target(
        "join by number",
        ANONYMOUS,
        "POST",
        "join.index",
        lambda w, s: form(number=st.sampled_from([s["number"], *NASTY]), name=VALUE),
        fresh=True,
    ),
    Target("join by link", ANONYMOUS, "POST", "join.redeem", lambda w, s: form(name=SOME_VALUES)),
    Target(
        "ask for help",
        ANONYMOUS,
        "POST",
        "acd.request_help",
        lambda w, s: form(
            queue=ids_or(w.ids["queue"]),
            name=VALUE,
            email=st.one_of(st.emails(), VALUE),
            problem=VALUE,
        ),
    ),
    Target(
        "assist by number",
        REP,
        "POST",
        "support.assist",
        lambda w, s: form(number=st.sampled_from([s["number"], *NASTY])),
        fresh=True,
    ),
    Target("start", CONTROLLER, "POST", "support.start", lambda w, s: form(email=VALUE)),
    Target(
        "invite",
        CONTROLLER,
        "POST",
        "dashboard.invite",
        lambda w, s: form(
            role=st.sampled_from(["customer", "rep", *NASTY]),
            email=st.one_of(st.emails(), VALUE),
            name=VALUE,
            locale=st.sampled_from(["sv", "en", *NASTY]),
            own_program=VALUE,
            copy_link=VALUE,
        ),
        fresh=True,
    ),
    Target(
        "transfer control",
        CONTROLLER,
        "POST",
        "dashboard.transfer_control",
        lambda w, s: form(participant_id=ids_or(s["assistant_seat"], s["customer_seat"])),
        fresh=True,
    ),
    Target(
        "transfer to WebACD",
        CONTROLLER,
        "POST",
        "acd.transfer",
        lambda w, s: form(
            target=st.sampled_from(["queue", "agents", *NASTY]),
            queue_id=ids_or(w.ids["queue"]),
            agent_id=st.lists(ids_or(w.ids["agent"], w.users[CONTROLLER]), max_size=3),
            message=VALUE,
        ),
        fresh=True,
    ),
    Target(
        "availability",
        CONTROLLER,
        "POST",
        "acd.availability",
        lambda w, s: form(available=VALUE),
        examples=20,
    ),
    Target(
        "site settings",
        ADMIN,
        "POST",
        "admin.save_site",
        lambda w, s: form(multi_session_allowed=VALUE, customer_cap=VALUE),
    ),
    Target(
        "a rep's settings",
        ADMIN,
        "POST",
        "admin.save_rep",
        lambda w, s: form(
            multi_session=st.sampled_from(["", "allow", "deny", *NASTY]), customer_cap=VALUE
        ),
    ),
    Target("new queue", ADMIN, "POST", "admin_queues.create", lambda w, s: form(name=VALUE)),
    Target("rename queue", ADMIN, "POST", "admin_queues.rename", lambda w, s: form(name=VALUE)),
    Target(
        "queue agent",
        ADMIN,
        "POST",
        "admin_queues.add_agent",
        lambda w, s: form(agent_id=ids_or(w.ids["agent"], w.ids["rep"])),
    ),
    Target(
        "agent capacity", ADMIN, "POST", "admin_queues.capacity", lambda w, s: form(capacity=VALUE)
    ),
    Target(
        "queue hours",
        ADMIN,
        "POST",
        "admin_queues.hours",
        lambda w, s: form(
            time_zone=st.sampled_from(["Europe/Stockholm", "", *NASTY]),
            **{"opens-0": VALUE, "closes-0": VALUE, "opens-6": VALUE, "clear": VALUE},
        ),
    ),
    Target(
        "start an activity",
        CUSTOMER,
        "POST",
        "activities.start",
        lambda w, s: form(kind=st.sampled_from([*ActivityKind, *NASTY])),
        fresh=True,
    ),
    Target(
        "answer the recording question",
        CUSTOMER,
        "POST",
        "consent.answer",
        lambda w, s: form(
            decision=st.one_of(st.sampled_from(["allow", "deny", "withdraw"]), ANY_TEXT)
        ),
        fresh=True,
    ),
    Target(
        "rate an ended session",
        CUSTOMER,
        "POST",
        "feedback.rate",
        lambda w, s: form(
            score=st.one_of(st.sampled_from(["1", "5", "0", "6"]), ANY_TEXT), comment=ANY_TEXT
        ),
    ),
    Target(
        "ask for a receipt",
        CUSTOMER,
        "POST",
        "feedback.receipt",
        lambda w, s: form(email=st.one_of(st.sampled_from(["kim@example.com", "x@"]), ANY_TEXT)),
    ),
    Target(
        "send a file",
        CUSTOMER,
        "POST",
        "files.upload",
        lambda w, s: form(
            file=st.tuples(st.binary(max_size=2000), st.one_of(st.sampled_from(NASTY), ANY_TEXT)),
            recipient=ids_or(s["controller_seat"], s["assistant_seat"]),
        ),
        files=("file",),
        fresh=True,
    ),
    Target(
        "store a recording",
        CONTROLLER,
        "POST",
        "files.upload_recording",
        lambda w, s: form(
            chunk=st.tuples(st.binary(max_size=2000), ANY_TEXT),
            activity_id=ids_or(s["recording_activity"]),
            offset=ANY_TEXT,
            elapsed_ms=ANY_TEXT,
            final=ANY_TEXT,
        ),
        files=("chunk",),
        fresh=True,
    ),
    Target(
        "write a staff note",
        CONTROLLER,
        "POST",
        "history.add_note",
        lambda w, s: form(body=SOME_VALUES),
    ),
    Target(
        "keep a canned reply",
        ADMIN,
        "POST",
        "replies.add",
        lambda w, s: form(
            name=SOME_VALUES, text_sv=SOME_VALUES, text_en=SOME_VALUES, shared=SOME_VALUES
        ),
    ),
]


def encoded(data: dict, uploads: tuple[str, ...]) -> dict:
    body = {}
    for name, value in data.items():
        if name in uploads and isinstance(value, tuple):
            content, filename = value
            body[name] = (io.BytesIO(content), filename)
        elif isinstance(value, tuple):
            body[name] = str(value)
        else:
            body[name] = value
    return body


# POST routes that read no field: test_fuzz_requests.py sends them junk bodies.
FORMLESS = {
    "auth.logout",
    "dashboard.help_customer",
    "dashboard.end",
    "dashboard.leave",
    "dashboard.revoke_invitation",
    "activities.end",
    "acd.accept",
    "admin_queues.remove_agent",
    "multi.new_session",
    "multi.close_ended",
    "join.leave",
    "replies.remove",
    "consent.ask",
}


def test_every_form_is_a_target(fuzz_world):
    posts = {endpoint for method, endpoint in routes(fuzz_world.app) if method == "POST"}
    untried = posts - FORMLESS - {target.endpoint for target in TARGETS}
    assert not untried, f"POST routes with no fuzz target nor a place in FORMLESS: {untried}"


def test_the_drill_sends_over_a_thousand_inputs():
    planned = sum(t.examples for t in TARGETS) + QUERIES + PATH_ARGUMENTS + BODIES
    assert planned + SOCKET_MESSAGES >= 1000


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_every_form_survives_bad_input(fuzz_world, target, caplog):
    world, fresh = fuzz_world, Fresh(fuzz_world)
    rule = routes(world.app)[(target.method, target.endpoint)]
    client = world.clients[target.kind]

    def send(data):
        ids = fresh() if target.fresh else world_session(world)
        fields = data.draw(target.fields(world, ids), label="form")
        answered(client.post(path_of(world, rule, ids), data=encoded(fields, target.files)))

    try:
        drill(world, caplog, st.data(), target.examples, send, target.kind)
    finally:
        fresh.close()
