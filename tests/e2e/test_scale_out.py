"""#4: the same code as several gunicorn processes on one PostgreSQL and one
Redis. Sockets on one process hear events from another; a session outlives
the process that held its rep's socket."""

import os
import re
import subprocess
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import require_in_ci
from tests.e2e.cluster import ROOT, VENV_BIN, FailoverProxy, Gunicorn
from tests.e2e.conftest import ARTIFACTS, free_port
from webapp.live.redis_presence import HEARTBEAT_TTL

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
GRACE = 4


@pytest.fixture
def cluster_env():
    import psycopg
    import redis

    database = f"supportcenter_scale_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except (psycopg.OperationalError, redis.RedisError) as error:
        require_in_ci(f"PostgreSQL and Redis are needed: {error}")
    admin.execute(f"CREATE DATABASE {database}")
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "scale-out-test",
        "PRESENCE_GRACE_SECONDS": str(GRACE),
        "WORKERS": "1",
    }
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    # The schema comes from the migrations, as in production.
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "user", "create", "rut@example.com", "--name", "Rut Rep", "--role", "rep",
         "--password", "password123"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    yield env
    admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
    admin.close()


@pytest.fixture
def two_processes(cluster_env):
    ARTIFACTS.mkdir(exist_ok=True)
    processes = [
        Gunicorn(free_port(), cluster_env, ARTIFACTS / f"gunicorn-{name}.log")
        for name in ("first", "second")
    ]
    yield processes
    for process in processes:
        process.stop()


def log_in_and_start(page, base):
    page.goto(base + "/login")
    page.get_by_label("E-post").fill("rut@example.com")
    page.get_by_label("Lösenord").fill("password123")
    page.get_by_role("button", name="Logga in").click()
    page.get_by_label("E-post", exact=True).uncheck()
    page.get_by_role("button", name="Starta", exact=True).click()
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    return page.locator("[data-session-number]").get_attribute("data-session-number")


def join_by_number(page, base, number, name):
    page.goto(base + "/join/")
    page.get_by_label("Sessionsnummer").fill(number)
    page.get_by_label("Namn").fill(name)
    page.get_by_role("button", name="Delta", exact=True).click()
    expect(page.locator("#participants")).to_contain_text(name)


@pytest.mark.e2e
def test_a_customer_on_another_process_shows_live_and_ending_reaches_it(two_processes, new_page):
    first, second = two_processes
    rep = new_page()
    number = log_in_and_start(rep, first.url)
    kim = new_page()
    join_by_number(kim, second.url, number, "Kim Kund")
    expect(rep.locator("#participants")).to_contain_text("Kim Kund")
    expect(kim.locator("#participants")).to_contain_text("Rut Rep")

    rep.get_by_role("tab", name="Session").click()
    rep.once("dialog", lambda confirm: confirm.accept())
    rep.get_by_role("button", name="Avsluta session").click()
    expect(rep).to_have_url(re.compile(r"/support/$"))
    expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_be_visible()


@pytest.mark.e2e
def test_the_session_outlives_the_process_holding_the_reps_socket(two_processes, new_page):
    first, second = two_processes
    proxy = FailoverProxy(free_port(), [first.port, second.port])
    try:
        rep = new_page()
        number = log_in_and_start(rep, proxy.url)  # the proxy sends it to the first
        kim = new_page()
        join_by_number(kim, second.url, number, "Kim Kund")
        expect(rep.locator("#participants")).to_contain_text("Kim Kund")

        rep.evaluate(
            "window.reopened = 0;document.addEventListener('htmx:wsOpen', () => window.reopened++)"
        )
        first.kill()
        # The page reconnects through the proxy to the second process, in time.
        rep.wait_for_function("window.reopened >= 1", timeout=GRACE * 1000)
        expect(rep.locator("[data-connection]")).to_have_attribute("data-connection", "open")
        rep.wait_for_timeout((GRACE + 2) * 1000)
        expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_have_count(0)
        expect(kim.locator("#participants .badge.control")).to_be_visible()
        # ... and it is still the live session: a new customer shows on the rep's page.
        sam = new_page()
        join_by_number(sam, second.url, number, "Sam Second")
        expect(rep.locator("#participants")).to_contain_text("Sam Second")
        # The surviving process now watches the rep: closing the page ends it,
        # once the dead process's socket has also stopped counting (heartbeat TTL).
        rep.close()
        expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_be_visible(
            timeout=(GRACE + HEARTBEAT_TTL + 5) * 1000
        )
    finally:
        proxy.stop()
