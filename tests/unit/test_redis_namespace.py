"""#19: deployments that share one Redis server never hear each other, and
presence deadlines left in Redis by another database end nothing."""

import os
import subprocess
import time

import pytest

from tests.conftest import make_config, require_in_ci
from tests.e2e.cluster import ROOT, VENV_BIN
from tests.factories import make_customer, make_support_session
from webapp import create_app
from webapp.config import ConfigError
from webapp.extensions import db
from webapp.models import SupportSession
from webapp.services import chat

REDIS_SERVER = "redis://127.0.0.1:6379"
DATABASE_NUMBERS = (11, 12)  # unit tests of the bus use 15, browser tests 14, bench 13


@pytest.fixture
def redis_server():
    import redis

    clients = [redis.Redis.from_url(f"{REDIS_SERVER}/{n}") for n in DATABASE_NUMBERS]
    try:
        for client in clients:
            client.flushdb()
    except redis.RedisError:
        require_in_ci(f"Redis is not reachable at {REDIS_SERVER}")
    yield clients
    for client in clients:
        client.flushdb()


@pytest.fixture
def make_deployment(tmp_path):
    """An app on its own SQLite database and the given Redis database number."""
    made = []

    def make(name: str, redis_db: int, **settings):
        app = create_app(
            make_config(
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / name}.sqlite",
                REDIS_URL=f"{REDIS_SERVER}/{redis_db}",
                UPLOAD_DIR=str(tmp_path / name),
                **settings,
            )
        )
        with app.app_context():
            db.create_all()
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["live"].stop()


def start_with_customer(app) -> int:
    with app.app_context():
        support_session, _rep_seat = make_support_session()
        make_customer(support_session)
        return support_session.id


def kinds_heard(subscription, until: str, seconds: float = 3) -> list[str]:
    kinds = []
    deadline = time.monotonic() + seconds
    while until not in kinds and time.monotonic() < deadline:
        message = subscription.get(timeout=0.1)
        if message is not None:
            kinds.append(message["kind"])
    return kinds


@pytest.mark.parametrize("redis_dbs", [(11, 12), (11, 11)], ids=["two-numbers", "one-number"])
def test_a_chat_line_in_one_deployment_never_reaches_the_other(
    redis_server, make_deployment, redis_dbs
):
    staging = make_deployment("staging", redis_dbs[0])
    production = make_deployment("production", redis_dbs[1])
    assert start_with_customer(staging) == start_with_customer(production) == 1

    with production.app_context():
        production_socket = production.extensions["live"].bus.subscribe(1)
    with staging.app_context():
        staging_socket = staging.extensions["live"].bus.subscribe(1)
        customer = db.session.get(SupportSession, 1).participants[1]
        chat.post_message(customer, "Mitt lösenord är hunter2")

    assert "chat" in kinds_heard(staging_socket, until="chat")
    assert production_socket.get(timeout=0.5) is None
    assert production_socket.drain() == []


def test_the_namespace_is_kept_by_the_database(redis_server, make_deployment):
    first = make_deployment("one", 11).extensions["live"].redis_namespace
    again = make_deployment("one", 11).extensions["live"].redis_namespace  # a restart
    other = make_deployment("two", 11).extensions["live"].redis_namespace
    assert first == again
    assert other != first
    assert make_deployment("three", 11, REDIS_PREFIX="prod-eu").extensions[
        "live"
    ].redis_namespace == ("prod-eu")


def test_every_key_the_app_writes_carries_its_namespace(redis_server, make_deployment):
    app = make_deployment("one", 11, RATELIMIT_STORAGE_URI=f"{REDIS_SERVER}/11")
    namespace = app.extensions["live"].redis_namespace
    with app.app_context():
        support_session, rep_seat = make_support_session()
        seat = (rep_seat.id, support_session.id)
    presence = app.extensions["live"].presence
    presence.connect(*seat, "socket")
    presence.disconnect(*seat, "socket")
    app.test_client().post("/join/", data={"number": "123456789", "name": "Kim"})
    keys = [key.decode() for key in redis_server[0].keys("*")]
    assert any("LIMITER" in key for key in keys) and any(":presence:" in key for key in keys)
    assert [key for key in keys if namespace not in key] == []


@pytest.mark.parametrize("prefix", ["prod*", "a?b", "x[1]", "back\\slash", "with space"])
def test_a_prefix_redis_would_read_as_a_pattern_is_refused_at_start(prefix):
    with pytest.raises(ConfigError, match="REDIS_PREFIX"):
        create_app(make_config(REDIS_PREFIX=prefix))


def write_stale_presence(client, namespace: str) -> None:
    """What a recreated database leaves behind: due deadlines and sockets for
    participants 1-20, in the old key layout and in the given namespace."""
    long_ago = time.time() - 60
    stale = {str(n): long_ago for n in range(1, 21)}
    client.zadd("supportcenter:presence:deadlines", stale)
    client.hset("supportcenter:presence:sessions", mapping={str(n): n for n in range(1, 21)})
    seats = {f"{p}:{s}": long_ago for p in range(1, 21) for s in range(1, 21)}
    client.zadd(f"{namespace}:presence:deadlines", seats)
    client.sadd(f"{namespace}:presence:watched", *seats)
    for participant in range(1, 21):
        client.zadd(f"{namespace}:presence:connections:{participant}", {"old-socket": long_ago})


@pytest.mark.parametrize("prefix", [None, "drill"], ids=["namespace-from-database", "fixed"])
def test_deadlines_left_in_redis_end_none_of_a_fresh_databases_sessions(
    redis_server, make_deployment, prefix
):
    write_stale_presence(redis_server[0], prefix or "supportcenter")
    app = make_deployment("fresh", 11, REDIS_PREFIX=prefix, PRESENCE_GRACE_SECONDS=0.5)
    presence = app.extensions["live"].presence
    with app.app_context():
        seats = [(rep_seat.id, s.id) for s, rep_seat in (make_support_session() for _ in "abc")]
    for seat in seats:  # each rep's page is open
        presence.connect(*seat, f"page-{seat[0]}")
    time.sleep(2.5)  # five grace periods, ten reaper rounds
    with app.app_context():
        assert [db.session.get(SupportSession, s).is_open for _, s in seats] == [True] * 3

    # The reaper did run: a rep who really leaves still ends their session.
    presence.disconnect(*seats[0], f"page-{seats[0][0]}")
    deadline = time.monotonic() + 5
    with app.app_context():
        while db.session.get(SupportSession, seats[0][1]).is_open:
            assert time.monotonic() < deadline, "a real deadline ended nothing"
            time.sleep(0.1)
            db.session.expire_all()


def test_gunicorn_stops_with_one_line_instead_of_serving(tmp_path):
    env = {
        **os.environ,
        "REDIS_PREFIX": "prod*",
        "REDIS_URL": f"{REDIS_SERVER}/11",
        "SECRET_KEY": "k" * 48,
    }
    command = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket"]
    started = subprocess.run(
        [*command, "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert started.returncode != 0
    assert "Supportcenter will not start: REDIS_PREFIX 'prod*' is not usable" in started.stderr
