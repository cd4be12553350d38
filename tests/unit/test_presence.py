"""Presence and the grace period (R1.5), in-process and across 'workers' in Redis."""

import time
import uuid

import pytest

from tests.conftest import require_in_ci
from tests.helpers import REDIS_URL, Expiries, wait_until
from webapp.live import redis_presence
from webapp.live.presence import LocalPresence
from webapp.live.redis_presence import RedisPresence

GRACE = 0.6
NAMESPACE = "test-presence"


@pytest.fixture
def redis_flushed():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        require_in_ci(f"Redis is not reachable at {REDIS_URL}")
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture(params=["local", "redis"])
def make_presence(request):
    made = []

    def make(expiries):
        if request.param == "local":
            presence = LocalPresence(GRACE, expiries)
        else:
            request.getfixturevalue("redis_flushed")
            presence = RedisPresence(REDIS_URL, NAMESPACE, GRACE, expiries)
        made.append(presence)
        return presence

    yield make
    for presence in made:
        presence.stop()


def test_online_offline_and_expiry_after_grace(make_presence):
    expiries = Expiries()
    presence = make_presence(expiries)
    assert presence.connect(7, 1, "a") is True
    assert presence.connect(7, 1, "b") is False  # a second tab
    assert presence.connected_among([7, 8]) == {7}
    assert presence.disconnect(7, 1, "a") is False
    assert presence.disconnect(7, 1, "b") is True
    assert presence.connected_among([7]) == set()
    assert wait_until(lambda: expiries.calls == [(1, 7)])


def test_a_reload_inside_the_grace_period_expires_nothing(make_presence):
    expiries = Expiries()
    presence = make_presence(expiries)
    presence.connect(7, 1, "old")
    presence.disconnect(7, 1, "old")
    presence.connect(7, 1, "new")
    time.sleep(GRACE * 2)
    assert expiries.calls == []


def test_a_page_whose_socket_never_comes_expires(make_presence):
    expiries = Expiries()
    presence = make_presence(expiries)
    presence.expect(9, 2)
    assert wait_until(lambda: expiries.calls == [(2, 9)])


def test_a_page_given_longer_to_arrive_outlasts_the_grace(make_presence):
    """A dashboard under load may open its socket later than a reload would."""
    expiries = Expiries()
    presence = make_presence(expiries)
    presence.expect(9, 2, within=GRACE * 4)
    time.sleep(GRACE * 2)
    assert expiries.calls == []
    presence.connect(9, 2, "late")  # the page arrived after the grace, inside its window
    time.sleep(GRACE * 3)
    assert expiries.calls == []


def test_another_worker_keeps_the_participant_and_one_worker_expires(redis_flushed):
    first_calls, second_calls = Expiries(), Expiries()
    first = RedisPresence(REDIS_URL, NAMESPACE, GRACE, first_calls)
    second = RedisPresence(REDIS_URL, NAMESPACE, GRACE, second_calls)
    try:
        first.connect(7, 1, "on-first")
        first.disconnect(7, 1, "on-first")
        second.connect(7, 1, "on-second")  # the page reconnected elsewhere
        time.sleep(GRACE * 2)
        assert first_calls.calls == second_calls.calls == []
        second.disconnect(7, 1, "on-second")
        assert wait_until(lambda: len(first_calls.calls + second_calls.calls) == 1)
        time.sleep(GRACE)
        assert len(first_calls.calls + second_calls.calls) == 1  # exactly one process
    finally:
        first.stop()
        second.stop()


def test_a_killed_workers_sockets_stop_counting(redis_flushed, monkeypatch):
    monkeypatch.setattr(redis_presence, "HEARTBEAT_TTL", 0.3)
    monkeypatch.setattr(redis_presence, "WATCH_SCAN_SECONDS", 0.1)
    expiries = Expiries()
    survivor = RedisPresence(REDIS_URL, NAMESPACE, GRACE, expiries)
    killed = RedisPresence(REDIS_URL, NAMESPACE, GRACE, Expiries())
    try:
        killed.connect(7, 1, uuid.uuid4().hex)
        killed.stop()  # never disconnects, never heartbeats again
        survivor.expect(99, 5)  # any page view starts the survivor's reaper
        assert wait_until(lambda: (1, 7) in expiries.calls, seconds=5)
    finally:
        survivor.stop()


def test_one_worker_at_a_time_scans_for_crashed_workers(redis_flushed, monkeypatch):
    """Every worker scanning every watched seat every 2 s was 7 % of a
    chatting worker's CPU (#18): one scans, and another takes over once its
    turn lapses (a killed worker's turn too)."""
    monkeypatch.setattr(redis_presence, "WATCH_SCAN_SECONDS", 0.2)
    workers = [RedisPresence(REDIS_URL, NAMESPACE, GRACE, Expiries()) for _ in range(3)]
    scans = []
    for index, worker in enumerate(workers):
        worker._watch_for_crashed_workers = lambda now, index=index: scans.append(index)
    now = time.time()
    for worker in workers:
        worker._take_due(now)
    assert len(scans) == 1
    scanner = scans[0]
    time.sleep(0.25)  # the scanner was killed: it never tries again
    for index, worker in enumerate(workers):
        if index != scanner:
            worker._take_due(now + 0.25)
    assert len(scans) == 2 and scans[1] != scanner


def test_a_killed_workers_lapsed_socket_resyncs_its_session_once(redis_flushed, monkeypatch):
    """#14 item 5: a worker killed between storing a chat line and announcing
    it left that line off the pages on other workers; its socket's lapsed
    heartbeat now tells them, once, to send everything again."""
    monkeypatch.setattr(redis_presence, "HEARTBEAT_TTL", 0.5)
    monkeypatch.setattr(redis_presence, "WATCH_SCAN_SECONDS", 0.1)
    resynced = []
    survivors = [RedisPresence(REDIS_URL, NAMESPACE, GRACE, Expiries()) for _ in range(2)]
    for survivor in survivors:
        survivor.socket_lapsed = resynced.append
    killed = RedisPresence(REDIS_URL, NAMESPACE, GRACE, Expiries())
    try:
        killed.connect(7, 1, uuid.uuid4().hex)
        killed.stop()  # never disconnects, never heartbeats again
        for survivor in survivors:
            survivor.expect(99, 5)  # any page view starts a worker's reaper
        assert wait_until(lambda: resynced == [1], seconds=5)
        time.sleep(0.5)
        assert resynced == [1]
        survivors[0].connect(7, 1, uuid.uuid4().hex)  # the page comes back: nothing lapsed now
        assert resynced == [1]
    finally:
        for presence in (*survivors, killed):
            presence.stop()


def test_one_heartbeat_keeps_every_socket_and_adds_back_what_redis_lost(redis_flushed, monkeypatch):
    """A worker refreshes all its sockets in one command (#18); a socket
    Redis lost (a restart) counts again, one that closed does not."""
    import redis

    monkeypatch.setattr(redis_presence, "HEARTBEAT_TTL", 0.5)
    worker = RedisPresence(REDIS_URL, NAMESPACE, GRACE, Expiries())
    try:
        for participant_id in (7, 8, 9):
            worker.connect(participant_id, 1, f"page-{participant_id}")
        worker.disconnect(9, 1, "page-9")
        redis.Redis.from_url(REDIS_URL).delete(worker._connections(8))
        assert worker.connected_among([7, 8, 9]) == {7}
        time.sleep(0.3)
        worker._heartbeat_all(time.time())
        time.sleep(0.4)  # past the connects' own 0.5 s
        assert worker.connected_among([7, 8, 9]) == {7, 8}
    finally:
        worker.stop()


def test_more_callers_than_redis_connections_wait_for_one(redis_flushed, monkeypatch):
    """#18: in a connect storm a worker's sockets asked Redis for more
    connections at once than redis-py's pool allows, and each one refused
    closed its page's socket with 1011."""
    import threading

    import redis

    from webapp.live import redis_client

    monkeypatch.setattr(redis_client, "CONNECTIONS", 2)
    client = redis_client.connect(REDIS_URL)
    answers, refusals = [], []

    def hold_a_connection():  # BLPOP on an empty list keeps its connection 0.2 s
        try:
            answers.append(client.blpop(["test-redis-client:empty"], timeout=0.2))
        except redis.RedisError as refused:
            refusals.append(refused)

    callers = [threading.Thread(target=hold_a_connection) for _ in range(6)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)
    assert refusals == [] and answers == [None] * 6
