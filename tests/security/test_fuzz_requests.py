"""The fuzz drill for what is not a form (#13 item 8): query strings on every
page, junk in every path argument, and bodies that are no form at all on
every POST route (tests/security/fuzz.py says what is checked after each).
"""

import re
from urllib.parse import quote

from hypothesis import strategies as st

from tests.security.fuzz import (
    ANY_TEXT,
    BODIES,
    NASTY,
    PATH_ARGUMENTS,
    QUERIES,
    SOME_VALUES,
    answered,
    drill,
)
from tests.security.route_table import LAST, path_of, routes, sender_of
from tests.security.world import ANONYMOUS, CONTROLLER, World


def get_routes(world: World) -> list[tuple[str, object]]:
    """Every GET route but the sockets, with who may open it."""
    return [
        (sender_of(method, endpoint), rule)
        for (method, endpoint), rule in routes(world.app).items()
        if method == "GET" and not endpoint.startswith("live")
    ]


QUERY_KEYS = ["next", "invite", "embed", "locale", "tab", "page", "id", "support_session_id"]
QUERY_KEYS += ["waiting"]  # the invite dialog's poll: the mails it still waits for


def test_every_query_string_survives_bad_input(fuzz_world, caplog):
    world = fuzz_world
    pages = get_routes(world)
    query = st.one_of(
        st.dictionaries(st.sampled_from(QUERY_KEYS) | st.text(max_size=8), SOME_VALUES, max_size=4),
        st.text("%&=+;?ab09FZ\x7f é", max_size=60),  # not even valid percent-encoding
    )

    def send(generated):
        (kind, rule), query = generated
        client, path = world.clients[kind], path_of(world, rule)
        if isinstance(query, str):
            answered(client.get(f"{path}?{query}"))
        else:
            answered(client.get(path, query_string=query))

    drill(world, caplog, st.tuples(st.sampled_from(pages), query), QUERIES, send, ANONYMOUS)


def test_every_path_argument_survives_bad_input(fuzz_world, caplog):
    world = fuzz_world
    taking = [
        (method, rule)
        for (method, endpoint), rule in routes(world.app).items()
        if rule.arguments and not endpoint.startswith("live")
    ]
    segment = st.one_of(st.sampled_from(NASTY), ANY_TEXT.filter(bool), st.integers().map(str))

    def send(generated):
        (method, rule), value = generated
        path = re.sub(r"<[^>]+>", lambda _: quote(value, safe=""), rule.rule)
        answered(world.clients[CONTROLLER].open(path, method=method))

    strategy = st.tuples(st.sampled_from(taking), segment)
    drill(world, caplog, strategy, PATH_ARGUMENTS, send, CONTROLLER)


# Routes whose sender would end the world's session or log out.
ENDING = {endpoint for method, endpoint, _ in LAST if method == "POST"}
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "multipart/form-data; boundary=" + "b" * 300,
    "application/json",
    "text/plain; charset=utf-7",
]


def test_every_post_survives_a_body_that_is_no_form(fuzz_world, caplog):
    world = fuzz_world
    posts = [
        (sender_of(method, endpoint), rule)
        for (method, endpoint), rule in routes(world.app).items()
        if method == "POST" and endpoint not in ENDING
    ]
    body = st.one_of(
        st.binary(max_size=2000),
        st.just(b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'),
        st.just(b"a=%ZZ&b=%&c=%C3%28&" + b"d=" * 500),
    )

    def send(generated):
        (kind, rule), data, content_type = generated
        path = path_of(world, rule)
        answered(world.clients[kind].post(path, data=data, content_type=content_type))

    strategy = st.tuples(st.sampled_from(posts), body, st.sampled_from(CONTENT_TYPES))
    drill(world, caplog, strategy, BODIES, send, ANONYMOUS)
