"""#14 item 1: a customer's desktop share reaches the rep through a real TURN
server (Debian's coturn on loopback, REST credentials from the app), with the
pages forced to relay; and a connection that cannot be made is said in words."""

import secrets
import shutil
import socket
import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import require_in_ci
from tests.e2e.fixtures import free_port
from tests.e2e.steps import join_by_number, log_in_and_start, make_rut, me, press, wait_decoded

# The candidate pair each of the page's connections uses, and its local type.
SELECTED_PAIRS = """async () => {
  const types = [];
  for (const pc of window.testPeers.filter((pc) => pc.connectionState !== "closed")) {
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
        types.push(stats.get(report.localCandidateId).candidateType);
      }
    });
  }
  return types;
}"""


@pytest.fixture
def coturn(tmp_path):
    binary = shutil.which("turnserver") or "/usr/bin/turnserver"
    if not shutil.os.path.exists(binary):
        require_in_ci("coturn is not installed; run `make test`")
    secret, port = secrets.token_hex(16), free_port()
    relay_base = 40000 + secrets.randbelow(200) * 100
    process = subprocess.Popen(
        [binary, "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
         "--relay-ip=127.0.0.1", f"--min-port={relay_base}", f"--max-port={relay_base + 99}",
         "--use-auth-secret", f"--static-auth-secret={secret}", "--realm=supportcenter.test",
         "--fingerprint", "--no-cli", "--no-tls", "--no-dtls", "--allow-loopback-peers",
         f"--pidfile={tmp_path}/turn.pid", f"--log-file={tmp_path}/turn.log", "--simple-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "coturn did not start"
            time.sleep(0.1)
    yield f"turn:127.0.0.1:{port}?transport=udp", secret
    process.terminate()
    process.wait(10)


@pytest.mark.e2e
def test_a_share_reaches_the_rep_through_the_relay(make_live_server, coturn, new_page):
    url, secret = coturn
    server = make_live_server(TURN_URLS=[url], TURN_SECRET=secret, ICE_TRANSPORT_POLICY="relay")
    make_rut(server)
    rep = new_page()
    number = log_in_and_start(rep, server.base_url)
    kim = new_page()
    join_by_number(kim, server.base_url, number, "Kim")
    press(kim, "Skrivbordsdelning")
    wait_decoded(rep, "desktop_sharing", me(kim))
    assert "relay" in rep.evaluate(SELECTED_PAIRS)
    assert set(rep.evaluate(SELECTED_PAIRS)) == {"relay"}


@pytest.mark.e2e
def test_a_connection_that_cannot_be_made_is_said_in_words(make_live_server, new_page):
    # Relay only, and no TURN server at that address: no path can work.
    server = make_live_server(
        TURN_URLS=[f"turn:127.0.0.1:{free_port()}?transport=udp"],
        TURN_SECRET="nobody-answers",
        ICE_TRANSPORT_POLICY="relay",
    )
    make_rut(server)
    rep = new_page()
    number = log_in_and_start(rep, server.base_url)
    kim = new_page()
    join_by_number(kim, server.base_url, number, "Kim")
    press(kim, "Skrivbordsdelning")
    expect(rep.locator("#media-message")).to_contain_text(
        "Anslutningen till Kim misslyckades", timeout=30000
    )
