"""Events cross processes through Redis: a bus in one 'worker' hears another's."""

import uuid

import pytest

from tests.conftest import require_in_ci
from tests.helpers import REDIS_URL
from webapp.live.redis_bus import RedisBus


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        require_in_ci(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def test_an_event_published_in_one_worker_reaches_sockets_of_another(redis_url):
    first_worker, second_worker = RedisBus(redis_url, "test"), RedisBus(redis_url, "test")
    channel = uuid.uuid4().int % 10**9
    subscription = second_worker.subscribe(channel)
    other_channel = second_worker.subscribe(channel + 1)
    first_worker.publish(channel, {"kind": "joined", "event_id": 7})
    assert subscription.get(timeout=3) == {"kind": "joined", "event_id": 7}
    assert other_channel.get(timeout=0.3) is None
    subscription.close()
    other_channel.close()
    assert second_worker.subscriber_count() == 0
