"""Presence's longer grace for one seat (`hold`, #13 item 3), in-process and
in Redis, and the reaper's sweep."""

import time

import pytest

from tests.conftest import make_config, require_in_ci
from tests.factories import make_agent
from tests.helpers import Expiries, wait_until
from webapp import create_app
from webapp.extensions import db
from webapp.live.presence import LocalPresence
from webapp.live.redis_presence import RedisPresence
from webapp.services import queues

REDIS_URL = "redis://127.0.0.1:6379/10"  # this file's own database and namespace
NAMESPACE = "test-queue-grace"
PAGE_GRACE, QUEUE_GRACE = 0.3, 1.2


class Deadlines(Expiries):
    def __call__(self, deadline):
        self.calls.append(deadline)


@pytest.fixture(params=["local", "redis"])
def presence_with_hold(request):
    made = []

    def make(expiries):
        if request.param == "local":
            presence = LocalPresence(PAGE_GRACE, expiries, QUEUE_GRACE)
        else:
            import redis

            client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
            try:
                client.ping()
            except redis.RedisError:
                require_in_ci(f"Redis is not reachable at {REDIS_URL}")
            for key in client.scan_iter(f"{NAMESPACE}:*"):
                client.delete(key)
            presence = RedisPresence(REDIS_URL, NAMESPACE, PAGE_GRACE, expiries, QUEUE_GRACE)
        made.append(presence)
        return presence

    yield make
    for presence in made:
        presence.stop()


def test_a_held_seat_expires_after_the_longer_grace_counted_from_when_the_page_went(
    presence_with_hold,
):
    deadlines = Deadlines()
    presence = presence_with_hold(deadlines)
    presence.connect(7, 1, "phone")
    went = time.time()
    presence.disconnect(7, 1, "phone")
    assert wait_until(lambda: len(deadlines.calls) == 1)
    page = deadlines.calls[0]
    assert (page.participant_id, page.support_session_id, page.held) == (7, 1, False)
    assert page.set_at == pytest.approx(went, abs=0.1)

    presence.hold(7, 1, page.set_at)
    assert wait_until(lambda: len(deadlines.calls) == 2)
    held = deadlines.calls[1]
    assert (held.participant_id, held.support_session_id, held.held) == (7, 1, True)
    assert held.set_at == pytest.approx(went, abs=0.1)
    assert time.time() - went == pytest.approx(QUEUE_GRACE, abs=0.6)


def test_a_socket_that_comes_back_clears_the_hold(presence_with_hold):
    deadlines = Deadlines()
    presence = presence_with_hold(deadlines)
    presence.hold(7, 1, time.time())
    presence.connect(7, 1, "back")  # the phone brought the tab to the front
    time.sleep(QUEUE_GRACE * 1.5)
    assert deadlines.calls == []


def test_a_hold_already_due_comes_at_the_reapers_next_turn(presence_with_hold):
    """A retry: the service could not settle the seat and holds it again."""
    deadlines = Deadlines()
    presence = presence_with_hold(deadlines)
    went = time.time() - 60
    presence.hold(7, 1, went)
    assert wait_until(lambda: len(deadlines.calls) == 1, seconds=1.5)
    assert deadlines.calls[0].held and deadlines.calls[0].set_at == pytest.approx(went)


def test_the_reaper_sweeps_for_what_no_deadline_covers(presence_with_hold):
    presence = presence_with_hold(Deadlines())
    swept = []
    presence.sweep = lambda: swept.append(time.time())
    presence.expect(9, 2)  # any page view starts the reaper
    assert wait_until(lambda: len(swept) == 1)


def test_the_queues_keys_in_redis_carry_the_deployments_namespace(tmp_path):
    """#19: held places and the per-queue counters live beside every other
    deployment's on the same Redis server."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError:
        require_in_ci(f"Redis is not reachable at {REDIS_URL}")
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'ns.sqlite'}",
            REDIS_URL=REDIS_URL,
            RATELIMIT_STORAGE_URI=REDIS_URL,
            REDIS_PREFIX=NAMESPACE,
        )
    )
    try:
        with app.app_context():
            db.create_all()
            queue = queues.create_queue("Q", [make_agent().email])
            queue_id = queue.id
        response = app.test_client().post(
            "/request",
            data={"queue": queue_id, "name": "Kim", "email": "k@example.com", "problem": "x"},
        )
        assert response.status_code == 302
        app.extensions["live"].presence.hold(1, 1, time.time())
        keys = client.keys("*")
        assert any("request-queue" in key for key in keys)
        held = client.zrange(f"{NAMESPACE}:presence:deadlines", 0, -1)
        assert "1:1:held" in held
        assert [key for key in keys if NAMESPACE not in key] == []
    finally:
        app.extensions["live"].stop()
        client.flushdb()
