"""Browser-test fixtures, a plugin of tests/conftest.py so that tests/e2e and
tests/security share one Chromium: a live server in a thread (same process:
services a test calls publish on the bus the sockets hear), a real SMTP
server on loopback, and gunicorn deployments on PostgreSQL and Redis."""

import json
import os
import socket
import subprocess
import threading
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_config, require_in_ci
from tests.e2e.cluster import ROOT, VENV_BIN, Gunicorn
from webapp import create_app
from webapp.extensions import db

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-sandbox",
    "--disable-gpu",
    # Media (R7): fake camera, microphone and screen, granted without a prompt,
    # host candidates without mDNS so peers on one machine connect.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--auto-select-desktop-capture-source=Entire screen",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> list:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        assert len(self.messages) >= count, "no mail arrived at the SMTP server"
        return self.messages


@pytest.fixture
def smtp_inbox():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def make_live_server(tmp_path, smtp_inbox):
    """Serves a test app in a thread; settings override the test config."""
    inbox, smtp_port = smtp_inbox
    started = []

    def start(**settings):
        defaults = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'e2e{len(started)}.sqlite'}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would swallow mail under TESTING
            "MAIL_POLL_SECONDS": 0.5,
            "PRESENCE_GRACE_SECONDS": 2.0,
        }
        app = create_app(make_config(**{**defaults, **settings}))
        with app.app_context():
            db.create_all()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        app.base_url = f"http://127.0.0.1:{server.server_port}"
        app.inbox = inbox
        started.append((app, server))
        return app

    yield start
    for app, server in started:
        server.shutdown()
        app.extensions["live"].stop()


@pytest.fixture
def live_server(make_live_server):
    return make_live_server()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        require_in_ci(f"Chromium is not installed at {CHROMIUM}; run `make test`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# The browser tests watch the page's WebRTC connections and captured media
# from outside: every RTCPeerConnection the page makes and every stream it
# captures is kept in a list of the test's own (the app has no test hook).
WATCH_MEDIA = """
window.testPeers = [];
window.testCaptures = [];
if (window.RTCPeerConnection) {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.testPeers.push(this);
    }
  };
}
if (navigator.mediaDevices) {
  for (const name of ["getUserMedia", "getDisplayMedia"]) {
    const native = navigator.mediaDevices[name]?.bind(navigator.mediaDevices);
    if (!native) continue;
    navigator.mediaDevices[name] = async (...args) => {
      const stream = await native(...args);
      window.testCaptures.push(stream);
      return stream;
    };
  }
}
"""

# What a failed test leaves in test-artifacts/ besides screenshots: each
# page's WebRTC connections and media tiles, since a share that never
# decodes shows nothing on a screenshot.
MEDIA_STATE = """() => {
  if (!window.testPeers) return null;
  return {
    capturing: window.testCaptures.flatMap((stream) => stream.getTracks())
      .filter((track) => track.readyState === "live").map((track) => track.kind),
    peers: window.testPeers.map((pc) => [
      pc.connectionState, pc.iceConnectionState, pc.signalingState,
    ]),
    tiles: Array.from(document.querySelectorAll("#media-stage [data-key] > :first-child"),
      (tile) => [tile.parentElement.dataset.key, tile.readyState, tile.videoWidth || 0]),
    panel: document.getElementById("activities")?.outerHTML.replace(/\\s+/g, " "),
  };
}"""


@pytest.fixture
def new_page(browser, request):
    contexts = []
    consoles = []

    def open_page(width: int = 1280, height: int = 860):
        context = browser.new_context(
            viewport={"width": width, "height": height}, permissions=["camera", "microphone"]
        )
        context.set_default_timeout(8000)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(WATCH_MEDIA)
        lines = []
        consoles.append(lines)
        label = f"page{len(contexts)}"

        def heard(message):
            lines.append(f"{message.type}: {message.text}")
            if os.environ.get("DEBUG_CONSOLE"):  # to watch the pages' scripts live
                print(f"[{label}] {message.type}: {message.text}")

        page.on("console", heard)
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for index, (context, lines) in enumerate(zip(contexts, consoles, strict=True)):
            stem = ARTIFACTS / f"{request.node.name}-{index}"
            report = ["console:", *lines]
            for page_index, page in enumerate(context.pages):
                page.screenshot(path=f"{stem}-{page_index}.png")
                try:
                    state = json.dumps(page.evaluate(MEDIA_STATE), indent=1)
                except Exception as error:  # a crashed or closed page says so instead
                    state = str(error)
                report += [f"media of page {page_index}:", state]
            Path(f"{stem}.log").write_text("\n".join(report))
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# Scale-out: real gunicorn processes on one PostgreSQL and one Redis (#4).
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
GRACE = 4


def deployment_env(database_url: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a gunicorn deployment on that database and Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "scale-out-test-" + "k" * 32,
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback
        "PRESENCE_GRACE_SECONDS": str(GRACE),
        "WORKERS": "1",
        **settings,
    }


def prepare_deployment(env: dict[str, str]) -> None:
    """The schema from the migrations (as in production), and Rut."""
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "user", "create", "rut@example.com", "--name", "Rut Rep", "--role", "rep",
         "--password", "password123"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def make_cluster_env():
    """Makes a deployment's environment: a fresh PostgreSQL database with the
    schema from the migrations (as in production) and Rut, on a Redis
    database number that the first call flushes."""
    import psycopg
    import redis

    databases = []
    try:
        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    except psycopg.OperationalError as error:
        require_in_ci(f"PostgreSQL is needed: {error}")

    def make(redis_url: str = REDIS_URL, **settings: str) -> dict[str, str]:
        try:
            if not databases:
                redis.Redis.from_url(redis_url, socket_connect_timeout=1).flushdb()
        except redis.RedisError as error:
            require_in_ci(f"Redis is needed: {error}")
        database = f"supportcenter_scale_{uuid.uuid4().hex[:8]}"
        admin.execute(f"CREATE DATABASE {database}")
        databases.append(database)
        env = deployment_env(f"{PG}/{database}", redis_url, **settings)
        prepare_deployment(env)
        return env

    yield make
    for database in databases:
        admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
    admin.close()


@pytest.fixture
def cluster_env(make_cluster_env):
    return make_cluster_env()


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
