"""The route walk (#13 item 8): every route of the app, as every kind of user,
against a table of the answers each may get, with path variants.

The routes come from `app.url_map`, so a route added without a row in
EXPECTED fails here. Each row says, per kind of user (tests/security/world.py),
which outcomes are acceptable: a status code, or LOGIN for a redirect to the
login page. Requests carry no form data: what a stranger gets with an empty
form, a stranger gets with any (the fuzz drill sends the rest).

Besides the table: a request that was refused (a 4xx or a redirect to the
login page), and every GET but an invitation link, changes no row of any
table. Path variants (a trailing slash, a doubled slash, upper case,
percent-encoding, `..`) may also miss the route (404, 405); a redirect that
Werkzeug makes of one (merged slashes) is followed.

All mismatches are listed together at the end, one line each:
    <kind>: <METHOD> <path> -> <got>, expected <acceptable>
"""

from urllib.parse import urlsplit

from tests.security.world import (
    AGENT,
    ASSISTANT,
    CONTROLLER,
    CUSTOMER,
    KINDS,
    NOT_LOGGED_IN,
    OTHER_CUSTOMER,
    REP,
    STAFF,
    World,
    changed_tables,
    fingerprint,
)

LOGIN = "login"  # a redirect to the login page
MISSED = frozenset({404, 405})  # a path variant that is no route at all
REDIRECTS = (301, 302, 303, 307, 308)


def outcomes(*allowed) -> frozenset:
    return frozenset(allowed)


def everyone(*allowed, **by_kind) -> dict[str, frozenset]:
    row = {kind: outcomes(*allowed) for kind in KINDS}
    row.update({_kind(name): outcomes(*value) for name, value in by_kind.items()})
    return row


def staff_only(*allowed, refused=(403,), **by_kind) -> dict[str, frozenset]:
    """login_required: visitors and customers go to the login page; the
    staff kinds named get `by_kind`, every other staff kind `refused`, and
    with no one named every staff kind gets `allowed`."""
    row = {kind: outcomes(LOGIN) for kind in NOT_LOGGED_IN}
    row.update({kind: outcomes(*(allowed or refused)) for kind in STAFF})
    row.update({_kind(name): outcomes(*value) for name, value in by_kind.items()})
    return row


def participants_only(**by_kind) -> dict[str, frozenset]:
    """Routes staff and customers share (activities, files): anyone without
    a seat in the session gets 404, as if it did not exist."""
    row = {kind: outcomes(404) for kind in KINDS}
    row.update({_kind(name): outcomes(*value) for name, value in by_kind.items()})
    return row


def _kind(name: str) -> str:
    """Keyword names for the kinds; the others are spelled as themselves."""
    return {"rep": REP, "other_customer": OTHER_CUSTOMER}.get(name, name)


# What each route's id arguments stand for in the world; a route's own row
# in PATH_VALUES wins.
DEFAULT_VALUES = {
    "support_session_id": "session",
    "participant_id": "customer_seat",
    "activity_id": "share",
    "file_id": "file",
    "offer_id": "offer",
    "queue_id": "queue",
    "user_id": "agent",
    "invitation_id": "invitation",
}
PATH_VALUES = {
    "dashboard.record": {"support_session_id": "ended_session"},
    "files.download_recording": {"file_id": "recording"},
    "admin.save_rep": {"user_id": "rep"},
    "join.redeem": {"token": ("token", "customer")},
    "support.redeem": {"token": ("token", "other_rep")},
    "live_user.user_socket": {"view_name": ("literal", "inbox")},
}

EXPECTED = {
    # Anyone.
    ("GET", "main.index"): everyone(200),
    ("GET", "main.healthz"): everyone(200),
    ("GET", "ops.readyz"): everyone(200),
    # For the operator's scraper, with its bearer token; nobody's login opens it.
    ("GET", "ops.prometheus_metrics"): everyone(401),
    ("POST", "main.language"): everyone(302),
    ("GET", "auth.login"): everyone(200, **{kind: (302,) for kind in STAFF}),
    ("POST", "auth.login"): everyone(400, **{kind: (302,) for kind in STAFF}),
    ("GET", "join.index"): everyone(200),
    ("POST", "join.index"): everyone(400),
    ("GET", "join.redeem"): everyone(200, customer=(302,)),
    ("POST", "join.redeem"): everyone(400, customer=(302,)),
    ("GET", "join.left"): everyone(200),
    ("GET", "acd.request_help"): everyone(200),
    ("POST", "acd.request_help"): everyone(400),
    # A plain GET of a socket route is no websocket handshake.
    ("GET", "live.session_socket"): everyone(400),
    ("GET", "live_user.user_socket"): everyone(400),
    # A customer's own seat.
    ("GET", "join.customer_page"): everyone(403, customer=(200,)),
    ("POST", "join.leave"): everyone(403, customer=(302,)),
    # Any staff login.
    ("POST", "auth.logout"): staff_only(302),
    ("GET", "support.index"): staff_only(200),
    ("POST", "support.start"): staff_only(302),
    ("GET", "support.assist"): staff_only(200),
    ("POST", "support.assist"): staff_only(400),
    ("GET", "support.redeem"): staff_only(302),  # the rep link is the key
    ("GET", "multi.window"): staff_only(200),
    ("POST", "multi.new_session"): staff_only(302),
    ("POST", "multi.close_ended"): staff_only(204),
    # A staff seat in the session.
    ("GET", "dashboard.show"): staff_only(controller=(200,), assistant=(200,)),
    ("GET", "dashboard.record"): staff_only(refused=(404,), controller=(200,), assistant=(200,)),
    ("GET", "dashboard.invite_dialog"): staff_only(controller=(200,), assistant=(200,)),
    ("GET", "dashboard.open_invitations"): staff_only(controller=(200,), assistant=(200,)),
    ("POST", "dashboard.revoke_invitation"): staff_only(controller=(200,)),
    ("POST", "dashboard.invite"): staff_only(controller=(400,)),
    ("POST", "dashboard.help_customer"): staff_only(controller=(204,)),
    ("GET", "dashboard.transfer_dialog"): staff_only(controller=(200,)),
    # An empty form is refused before the assistant's lack of control is.
    ("POST", "dashboard.transfer_control"): staff_only(controller=(400,), assistant=(400, 403)),
    ("POST", "dashboard.end"): staff_only(controller=(302,)),
    ("POST", "dashboard.leave"): staff_only(controller=(409,), assistant=(302,)),
    # WebACD agents; the controller is one.
    ("GET", "acd.inbox"): staff_only(controller=(200,), agent=(200,)),
    ("POST", "acd.availability"): staff_only(controller=(302,), agent=(302,)),
    ("POST", "acd.accept"): staff_only(controller=(404,), agent=(302,)),
    ("GET", "acd.transfer_dialog"): staff_only(controller=(200,)),
    ("POST", "acd.transfer"): staff_only(controller=(400,)),
    # Admins.
    ("GET", "admin.settings"): staff_only(admin=(200,)),
    ("POST", "admin.save_site"): staff_only(admin=(400,)),
    ("POST", "admin.save_rep"): staff_only(admin=(200,)),
    ("GET", "admin_queues.index"): staff_only(admin=(200,)),
    ("POST", "admin_queues.create"): staff_only(admin=(400,)),
    ("POST", "admin_queues.rename"): staff_only(admin=(400,)),
    ("POST", "admin_queues.add_agent"): staff_only(admin=(400,)),
    ("POST", "admin_queues.remove_agent"): staff_only(admin=(302,)),
    ("POST", "admin_queues.capacity"): staff_only(admin=(400,)),
    # Participants of the session, staff or customer.
    ("POST", "activities.start"): participants_only(
        controller=(400,), assistant=(400,), customer=(400,)
    ),
    # The controller's share: the assistant and the customer may not stop it.
    ("POST", "activities.end"): participants_only(
        controller=(200,), assistant=(403,), customer=(403,)
    ),
    ("POST", "files.upload"): participants_only(
        controller=(400,), assistant=(400,), customer=(400,)
    ),
    ("GET", "files.download"): participants_only(
        controller=(200,), assistant=(200,), customer=(200,)
    ),
    ("POST", "files.upload_recording"): participants_only(
        controller=(400,), assistant=(400,), customer=(400,)
    ),
    # Recordings are for the staff.
    ("GET", "files.download_recording"): participants_only(controller=(200,), assistant=(200,)),
}

# Requests that end something the rest of the walk needs, done last, in
# this order, by the kinds named (the others were refused in the main walk).
LAST = [
    ("GET", "support.redeem", STAFF),
    ("POST", "acd.accept", (AGENT,)),
    ("POST", "acd.availability", (AGENT, CONTROLLER)),  # going away withdraws offers
    ("POST", "join.leave", (CUSTOMER,)),
    ("POST", "dashboard.leave", (ASSISTANT,)),
    ("POST", "dashboard.revoke_invitation", (CONTROLLER,)),  # the customer link walked above
    ("POST", "dashboard.end", (CONTROLLER,)),
    ("POST", "auth.logout", STAFF),
]


def routes(app) -> dict[tuple[str, str], object]:
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[(method, rule.endpoint)] = rule
    return found


def path_of(world: World, rule, ids: dict | None = None) -> str:
    """The rule's path in the world; `ids` overrides the world's ids."""
    values = {argument: value_for(world, rule, argument, ids) for argument in rule.arguments}
    # Werkzeug builds websocket rules as ws:// URLs; the path is what a client asks for.
    _, path = rule.build(values, append_unknown=False)
    return urlsplit(path).path if "://" in path else path


def value_for(world: World, rule, argument: str, ids: dict | None = None):
    meaning = PATH_VALUES.get(rule.endpoint, {}).get(argument) or DEFAULT_VALUES[argument]
    if isinstance(meaning, tuple):
        where, key = meaning
        return world.tokens[key] if where == "token" else key
    return {**world.ids, **(ids or {})}[meaning]


def variants(path: str) -> list[str]:
    """The same path spelled as a proxy, a browser or an attacker might."""
    if path == "/":
        return ["/.", "/..", "/%2e%2e/", "/static/.."]
    head = path[1:].split("/", 1)[0]
    tail = path[1 + len(head) :]  # from the slash after the first segment on
    found = [
        path[:-1] if path.endswith("/") else path + "/",
        f"/{head}/{tail}",
        f"/{head.upper()}{tail}",
        f"/%{ord(head[0]):02X}{head[1:]}{tail}",
        f"/{head}/..{path}",
        f"/static/..{path}",
    ]
    if tail:
        found.append(f"/{head}%2F{tail[1:]}")
    digit = next((i for i, ch in enumerate(path) if ch.isdigit()), None)
    if digit is not None:
        found.append(f"{path[:digit]}%{ord(path[digit]):02x}{path[digit + 1 :]}")
    return [variant for variant in dict.fromkeys(found) if variant != path]


def ask(client, method: str, path: str, follow: bool) -> object:
    """The outcome of one request: a status, LOGIN, or the exception it raised."""
    try:
        response = client.open(path, method=method)
        if follow and response.status_code in (301, 308):
            target = urlsplit(response.location)
            if target.netloc in ("", "localhost"):
                response = client.open(target.path, method=method, query_string=target.query)
    except Exception as error:  # a 500 in a test app raises here
        return f"{type(error).__name__}: {error}"
    response.close()  # a download holds its file open until then
    if response.status_code in REDIRECTS and urlsplit(response.location).path == "/login":
        return LOGIN
    return response.status_code


def is_refusal(outcome) -> bool:
    return outcome == LOGIN or (isinstance(outcome, int) and 400 <= outcome < 500)


class Walk:
    def __init__(self, world: World):
        self.world = world
        self.failures: list[str] = []
        self.requests = 0
        self.rows = fingerprint()

    def check(self, kind: str, method: str, endpoint: str, path: str, acceptable, follow=False):
        got = ask(self.world.clients[kind], method, path, follow)
        self.requests += 1
        if got not in acceptable:
            self.failures.append(
                f"{kind}: {method} {path} -> {got}, expected {sorted(acceptable, key=str)}"
            )
        before, self.rows = self.rows, fingerprint()
        if is_refusal(got) or (method == "GET" and endpoint != "support.redeem"):
            changed = changed_tables(before, self.rows)
            if changed:
                self.failures.append(f"{kind}: {method} {path} -> {got} changed {changed}")


def test_every_route_has_a_row_for_every_kind(drill_app):
    found = set(routes(drill_app))
    missing = sorted(found - set(EXPECTED))
    stale = sorted(set(EXPECTED) - found)
    assert not missing, f"routes without a row in EXPECTED: {missing}"
    assert not stale, f"rows in EXPECTED for no route: {stale}"
    for key, row in EXPECTED.items():
        assert set(row) == set(KINDS), f"{key} lacks {set(KINDS) - set(row)}"


def test_no_staff_page_or_action_without_the_right_login(world):
    walk = Walk(world)
    last = {(method, endpoint): kinds for method, endpoint, kinds in LAST}
    rules = routes(world.app)
    for kind in KINDS:
        for (method, endpoint), rule in rules.items():
            acceptable = EXPECTED[(method, endpoint)][kind]
            path = path_of(world, rule)
            if kind in last.get((method, endpoint), ()):
                continue
            walk.check(kind, method, endpoint, path, acceptable)
            for variant in variants(path):
                walk.check(kind, method, endpoint, variant, acceptable | MISSED, follow=True)
    for method, endpoint, kinds in LAST:
        path = path_of(world, rules[(method, endpoint)])
        for kind in kinds:
            walk.check(kind, method, endpoint, path, EXPECTED[(method, endpoint)][kind])
    print(f"\n{len(rules)} routes, {len(KINDS)} kinds of user, {walk.requests} requests")
    assert not walk.failures, "\n" + "\n".join(walk.failures)
