"""The CSRF drill (#13 item 8): every state-changing route, sent by the user
it is for but without a valid token, is refused with 400 and changes nothing.

The app runs with CSRF on (TestConfig turns it off). The POST routes come from
`app.url_map`; who sends each is the first kind in SENDERS that the route
walk's table lets past the permission check, and the body is one that would
do something (FORMS). Three ways to lack the token: none, a forged one, and
another browser's real one. Then the same requests with the browser's own
token in the header htmx sends: none may be refused as CSRF, which shows the
refusals above were CSRF's and nothing else's. A socket, which CSRFProtect
does not see, must come from a page of this site (the Origin check).

A failure names the route and the sender:
    <kind> POST <path> <how> -> <status>, changed <tables>
"""

import io

import pytest

from tests.security.conftest import serving
from tests.security.route_table import LAST, SENDERS, path_of, routes, sender_of
from tests.security.world import (
    ANONYMOUS,
    CONTROLLER,
    CUSTOMER,
    REP,
    build,
    changed_tables,
    csrf_token,
    fingerprint,
    open_socket,
    running_app,
    stray_uploads,
)
from webapp.extensions import db
from webapp.live.limits import POLICY_VIOLATION
from webapp.models import SupportSession, User

# The refusal in both languages: a sender may have switched (main.language).
CSRF_REFUSALS = ("Formuläret har gått ut", "This form has expired")
# The page each sender reads its token from (staff: /support/).
TOKEN_PAGES = {ANONYMOUS: "/", CUSTOMER: "/join/session/{session}"}

# A body that would change something, by route; ("id", key) is a world id.
FORMS = {
    "main.language": {"locale": "en", "next": "/"},
    "auth.login": {"email": ("email", REP), "password": "password123"},
    "join.index": {"number": ("number", "session"), "name": "Kim Kund"},
    "join.redeem": {"name": "Kim Kund"},
    "acd.request_help": {
        "queue": ("id", "queue"),
        "name": "Kim",
        "email": "kim@example.com",
        "problem": "Skrivaren",
    },
    "support.start": {"email": "y"},
    "support.assist": {"number": ("number", "other_session")},
    "dashboard.invite": {"role": "customer", "locale": "sv", "copy_link": "1"},
    "dashboard.transfer_control": {"participant_id": ("id", "assistant_seat")},
    "acd.transfer": {"target": "queue", "queue_id": ("id", "queue"), "message": "Ta över"},
    "acd.availability": {"available": "0"},
    "admin.save_site": {"multi_session_allowed": "y", "customer_cap": "7"},
    "admin.save_rep": {"multi_session": "deny", "customer_cap": "3"},
    "admin_queues.create": {"name": "Fakturor"},
    "admin_queues.rename": {"name": "Andra linjen"},
    "admin_queues.add_agent": {"agent_id": ("id", "controller_user")},
    "admin_queues.capacity": {"capacity": "5"},
    "admin_queues.hours": {"time_zone": "Europe/Oslo", "opens-0": "08:00", "closes-0": "17:00"},
    "activities.start": {"kind": "video"},
    "files.upload": {"file": ("file", "note.txt")},
    "files.upload_recording": {
        "activity_id": ("id", "recording_activity"),
        "offset": "4",
        "elapsed_ms": "2000",
        "chunk": ("file", "r.webm"),
    },
}


@pytest.fixture
def csrf_world(tmp_path):
    with running_app(tmp_path, WTF_CSRF_ENABLED=True) as app:
        world = build(app)
        world.ids["controller_user"] = world.users[CONTROLLER]
        yield world


def form_of(world, endpoint: str) -> dict:
    data = {}
    for name, value in FORMS.get(endpoint, {}).items():
        if isinstance(value, tuple):
            what, key = value
            if what == "id":
                value = str(world.ids[key])
            elif what == "email":
                value = db.session.get(User, world.users[key]).email
            elif what == "number":
                value = db.session.get(SupportSession, world.ids[key]).number
            else:
                value = (io.BytesIO(b"data"), key)
        data[name] = value
    return data


def post_routes(world) -> list[tuple[str, str, str]]:
    """(endpoint, sender, path) of every POST route, those that end things last."""
    last = [endpoint for method, endpoint, _ in LAST if method == "POST"]
    found = [
        (endpoint, sender_of(method, endpoint), path_of(world, rule))
        for (method, endpoint), rule in routes(world.app).items()
        if method == "POST"
    ]
    return sorted(found, key=lambda item: last.index(item[0]) if item[0] in last else -1)


def own_token(world, kind: str) -> str:
    page = TOKEN_PAGES.get(kind, "/support/").format(session=world.ids["session"])
    token = csrf_token(world.clients[kind], page)
    assert token, f"no CSRF token on {page} for {kind}"
    return token


def refused_as_csrf(response) -> bool:
    return any(refusal in response.text for refusal in CSRF_REFUSALS)


def test_every_post_without_a_valid_token_is_refused_and_changes_nothing(csrf_world):
    world = csrf_world
    tokens = {kind: own_token(world, kind) for kind in (*SENDERS, REP)}
    failures = []
    checked = post_routes(world)
    for endpoint, kind, path in checked:
        for how, headers in (
            ("without a token", {}),
            ("with a forged token", {"X-CSRFToken": "forged." + tokens[kind][7:]}),
            ("with another browser's token", {"X-CSRFToken": tokens[REP]}),
        ):
            before = fingerprint()
            response = world.clients[kind].post(
                path, data=form_of(world, endpoint), headers=headers
            )
            changed = changed_tables(before, fingerprint()) + stray_uploads(world.app)
            refused = response.status_code == 400 and refused_as_csrf(response)
            if not refused or changed:
                failures.append(
                    f"{kind} POST {path} {how} -> {response.status_code}, changed {changed}"
                )
    for endpoint, kind, path in checked:
        # A fresh token each time: a login (auth.login) starts a new session.
        token = {"X-CSRFToken": own_token(world, kind)}
        response = world.clients[kind].post(path, data=form_of(world, endpoint), headers=token)
        if refused_as_csrf(response):
            failures.append(f"{kind} POST {path} with its own token -> refused as CSRF")
    print(f"\n{len(checked)} POST routes, each three ways without a valid token")
    assert not failures, "\n" + "\n".join(failures)


@pytest.fixture
def csrf_server(csrf_world):
    with serving(csrf_world.app) as port:
        yield port


def test_a_session_socket_opens_only_from_this_sites_pages(csrf_world, csrf_server):
    """Cookies ride along on a socket any page opens: a page elsewhere must
    not read the customer's session or write in its chat."""
    customer, agent = csrf_world.clients[CUSTOMER], csrf_world.clients[CONTROLLER]
    session_path = f"/live/sessions/{csrf_world.ids['session']}"
    for client, path in ((customer, session_path), (agent, "/live/me/inbox")):
        for elsewhere in ("https://evil.example", f"http://127.0.0.1.evil.example:{csrf_server}"):
            assert open_socket(csrf_server, client, path, origin=elsewhere) == POLICY_VIOLATION
        here = f"http://127.0.0.1:{csrf_server}"
        assert open_socket(csrf_server, client, path, origin=here) == "open"
