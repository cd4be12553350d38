"""The nginx snippet in docs/ in front of two gunicorn processes: pages and
websockets pass, and a customer's join is rate limited by its own address."""

import shutil
import signal
import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import require_in_ci
from tests.e2e.cluster import ROOT, wait_for_http
from tests.e2e.fixtures import free_port
from tests.e2e.steps import join_by_number, log_in_and_start

SNIPPET = ROOT / "docs" / "nginx-supportcenter.conf"


@pytest.fixture
def nginx(two_processes, tmp_path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.os.path.exists(binary):
        require_in_ci("nginx is not installed; run `make test`")
    first, second = two_processes
    port = free_port()
    site = (
        SNIPPET.read_text()
        .replace("127.0.0.1:8000", f"127.0.0.1:{first.port}")
        .replace("127.0.0.1:8001", f"127.0.0.1:{second.port}")
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        "worker_processes 1;\n"
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"  access_log {tmp_path}/access.log;\n"
        f"  client_body_temp_path {tmp_path}/body;\n"
        f"  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n"
        "}\n"
    )
    process = subprocess.Popen(
        [binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"]
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/join/")
    yield url, first, second
    process.send_signal(signal.SIGQUIT)
    process.wait(10)


@pytest.mark.e2e
def test_pages_and_websockets_pass_through_nginx(nginx, new_page):
    url, first, _second = nginx
    rep = new_page()
    number = log_in_and_start(rep, url)
    kim = new_page()
    join_by_number(kim, url, number, "Kim Kund")
    expect(rep.locator("#participants")).to_contain_text("Kim Kund")
    # A process dies; nginx sends the rep's reconnect to the other one.
    first.kill()
    time.sleep(1)
    sam = new_page()
    join_by_number(sam, url, number, "Sam Second")
    expect(rep.locator("#participants")).to_contain_text("Sam Second")
    expect(kim.locator("#participants")).to_contain_text("Sam Second")


@pytest.mark.e2e
def test_nginx_refuses_bodies_the_app_would_refuse(nginx):
    import urllib.error
    import urllib.request

    url, _first, _second = nginx
    for path, size, allowed in (("/join/", 2 * 1024 * 1024, False), ("/join/", 512 * 1024, True)):
        request = urllib.request.Request(url + path, data=b"x" * size, method="POST")
        try:
            status = urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as error:
            status = error.code
        assert (status != 413) is allowed, (path, size, status)
