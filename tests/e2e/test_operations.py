"""#14 item 2 on the real thing: two gunicorn workers, pages open on both;
/metrics counts every worker's sockets whichever worker answers, and the
access log is JSON lines without invitation tokens."""

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.cluster import Gunicorn
from tests.e2e.fixtures import ARTIFACTS, free_port
from tests.e2e.steps import join_by_number, log_in_and_start

TOKEN = "scrape-" + "t" * 32


def scrape(url: str) -> str:
    request = urllib.request.Request(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode()


def open_sockets(text: str) -> float:
    return float(re.search(r"^supportcenter_open_sockets (\S+)$", text, re.M).group(1))


def settles(url: str, expected: float, seconds: float = 20) -> bool:
    """Whether ten scrapes in a row say `expected`, within `seconds`."""
    in_a_row, seen = 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(open_sockets(scrape(url)))
        in_a_row = in_a_row + 1 if seen[-1] == expected else 0
        if in_a_row == 10:
            return True
        time.sleep(0.1)
    print("scraped open sockets:", seen)
    return False


@pytest.mark.e2e
def test_metrics_add_up_over_workers_and_logs_keep_no_token(make_cluster_env, new_page):
    env = make_cluster_env(METRICS_TOKEN=TOKEN, WORKERS="2", LOG_FORMAT="json")
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "gunicorn-operations.log"
    server = Gunicorn(free_port(), env, log_path)
    try:
        rep = new_page()
        number = log_in_and_start(rep, server.url)
        customers = []
        for name in ("Kim", "Ola", "Sam"):
            page = new_page()
            join_by_number(page, server.url, number, name)
            customers.append(page)
        expect(rep.locator("#participants")).to_contain_text("Sam")
        # Ten scrapes in a row land on either worker, and each sums both
        # workers' sockets (a page reconnecting meanwhile may blur one round).
        assert settles(server.url, 4.0)
        text = scrape(server.url)
        assert 'supportcenter_sessions{state="active"} 1.0' in text
        customers[0].close()  # its worker notices the socket close
        assert settles(server.url, 3.0), "a closed page's socket still counted"

        urllib.request.urlopen(server.url + "/readyz", timeout=5).read()
        try:
            urllib.request.urlopen(server.url + "/join/i/Secret-Token_123", timeout=5)
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        server.stop()
    lines = log_path.read_text().splitlines()
    access = [json.loads(line) for line in lines if '"gunicorn.access"' in line]
    assert any(entry["path"] == "/readyz" and entry["status"] == 200 for entry in access)
    assert any(entry["path"] == "/join/i/[…]" for entry in access)
    assert all(entry["request_id"] for entry in access if entry["path"] == "/readyz")
    assert "Secret-Token_123" not in log_path.read_text()
