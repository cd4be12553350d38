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

from tests.security.route_table import EXPECTED, LAST, LOGIN, REDIRECTS, path_of, routes
from tests.security.world import (
    KINDS,
    World,
    changed_tables,
    fingerprint,
)

MISSED = frozenset({404, 405})  # a path variant that is no route at all


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
