"""#14 item 5: Redis restarts under a running session (a private redis-server
on a free port, behind two gunicorn workers on PostgreSQL). Pages keep their
sockets, catch up on what was said meanwhile, presence recovers, and the
session does not end for a missing heartbeat."""

import shutil
import subprocess
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import require_in_ci
from tests.e2e.cluster import Gunicorn
from tests.e2e.fixtures import ARTIFACTS, GRACE, free_port
from tests.e2e.steps import join_by_number, log_in_and_start
from tests.e2e.test_chat import chat_of, say
from webapp.live.redis_presence import HEARTBEAT_TTL


class PrivateRedis:
    def __init__(self, tmp_path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            require_in_ci("redis-server is not installed")
        self.port, self.dir = free_port(), tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


def count_socket_closes(*pages) -> None:
    for page in pages:
        page.evaluate(
            "() => { window.socketCloses = 0;"
            " document.addEventListener('htmx:wsClose', () => window.socketCloses++); }"
        )


def socket_closes(*pages) -> list[int]:
    """How often each page's socket closed since `count_socket_closes`."""
    return [page.evaluate("() => window.socketCloses") for page in pages]


@pytest.mark.e2e
def test_a_redis_restart_loses_no_session_and_no_chat_line(
    make_cluster_env, private_redis, new_page
):
    env = make_cluster_env(private_redis.url, WORKERS="2")
    ARTIFACTS.mkdir(exist_ok=True)
    server = Gunicorn(free_port(), env, ARTIFACTS / "gunicorn-redis-restart.log")
    try:
        rep = new_page()
        number = log_in_and_start(rep, server.url)
        kim = new_page()
        join_by_number(kim, server.url, number, "Kim")
        say(kim, "Före omstarten")
        expect(chat_of(rep)).to_contain_text("Före omstarten")
        count_socket_closes(rep, kim)

        private_redis.stop()
        say(kim, "Under omstarten")  # stored; its live delivery is lost with Redis
        expect(kim.get_by_label("Meddelande")).to_have_value("")
        statuses = []
        for _ in range(3):
            try:
                statuses.append(urllib.request.urlopen(server.url + "/readyz", timeout=5).status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert set(statuses) == {503}
        time.sleep(2)
        private_redis.start()

        # The bus comes back and each socket re-sends its page: the line said
        # during the restart reaches the rep without a reload.
        expect(chat_of(rep)).to_contain_text("Under omstarten", timeout=15000)
        assert urllib.request.urlopen(server.url + "/readyz", timeout=5).status == 200
        # Presence recovers from the workers' sockets, and nothing ends.
        rep.wait_for_timeout((GRACE + HEARTBEAT_TTL) * 1000)
        expect(kim.get_by_role("heading", name="Sessionen har avslutats")).to_have_count(0)
        assert socket_closes(rep, kim) == [0, 0]
        sam = new_page()
        join_by_number(sam, server.url, number, "Sam")
        expect(rep.locator("#participants")).to_contain_text("Sam")
        say(rep, "Efter omstarten")
        expect(chat_of(kim)).to_contain_text("Efter omstarten")
    finally:
        server.stop()
