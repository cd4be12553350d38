"""#19: two deployments on one Redis server, as gunicorn processes on their own
PostgreSQL databases, with real browsers: neither hears the other, and
presence left in Redis by an earlier database ends no fresh session."""

import time

import pytest
import redis
from playwright.sync_api import expect

from tests.e2e.cluster import Gunicorn
from tests.e2e.fixtures import ARTIFACTS, GRACE, free_port
from tests.e2e.steps import chat_of, join_by_number, log_in_and_start, say

REDIS_SERVER = "redis://127.0.0.1:6379"


@pytest.fixture
def start_gunicorn():
    ARTIFACTS.mkdir(exist_ok=True)
    started = []

    def start(env: dict[str, str], name: str) -> Gunicorn:
        started.append(Gunicorn(free_port(), env, ARTIFACTS / f"gunicorn-{name}.log"))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.mark.e2e
@pytest.mark.parametrize("redis_dbs", [(11, 12), (11, 11)], ids=["two-numbers", "one-number"])
def test_chat_in_staging_never_reaches_production(
    make_cluster_env, start_gunicorn, new_page, redis_dbs
):
    staging = start_gunicorn(make_cluster_env(f"{REDIS_SERVER}/{redis_dbs[0]}"), "staging")
    production = start_gunicorn(make_cluster_env(f"{REDIS_SERVER}/{redis_dbs[1]}"), "production")
    pages = {}
    for name, deployment in (("staging", staging), ("production", production)):
        rep = new_page()
        number = log_in_and_start(rep, deployment.url)
        kim = new_page()
        join_by_number(kim, deployment.url, number, f"Kim i {name}")
        pages[name] = rep, kim
    # Both databases are new, so both sessions are session 1 with the same seats.
    ids = {
        name: rep.locator("#session-live").get_attribute("data-me")
        for name, (rep, _) in pages.items()
    }
    assert ids["staging"] == ids["production"]

    say(pages["staging"][1], "Mitt lösenord är hunter2")
    expect(chat_of(pages["staging"][0])).to_contain_text("hunter2")
    say(pages["production"][1], "Hej från produktion")
    for page in pages["production"]:
        expect(chat_of(page)).to_contain_text("Hej från produktion")
        expect(chat_of(page)).not_to_contain_text("hunter2")
    expect(chat_of(pages["staging"][0])).not_to_contain_text("Hej från produktion")


@pytest.mark.e2e
def test_presence_left_by_an_earlier_database_ends_no_fresh_session(
    make_cluster_env, start_gunicorn, new_page
):
    """The database is recreated under a fixed REDIS_PREFIX while Redis keeps
    due deadlines for the seats the new sessions will get."""
    env = make_cluster_env(f"{REDIS_SERVER}/11", REDIS_PREFIX="drill")
    stale = redis.Redis.from_url(f"{REDIS_SERVER}/11")
    long_ago = time.time() - 60
    stale.zadd(
        "drill:presence:deadlines",
        {f"{p}:{s}": long_ago for p in range(1, 21) for s in range(1, 21)},
    )
    stale.zadd("supportcenter:presence:deadlines", {str(p): long_ago for p in range(1, 21)})
    stale.hset("supportcenter:presence:sessions", mapping={str(p): 1 for p in range(1, 21)})
    deployment = start_gunicorn(env, "fresh")

    rep = new_page()
    number = log_in_and_start(rep, deployment.url)
    rep.wait_for_timeout((GRACE + 2) * 1000)
    expect(rep.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    kim = new_page()
    join_by_number(kim, deployment.url, number, "Kim Kund")
    expect(rep.locator("#participants")).to_contain_text("Kim Kund")
    assert stale.zcard("drill:presence:deadlines") == 0  # taken and dropped, not left to fire
