"""Attacks on the live socket from outside (#13 item 2): a real server on a
real port, real sockets, seats held in signed cookies as a browser holds them.
`serve` runs the server in a thread of the test process, so a test can read
its bus and its log; `serve_gevent` runs it as production does, in a process
of its own whose memory a test can measure."""

import http.client
import itertools
import os
import re
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_config
from tests.e2e.cluster import Gunicorn
from tests.e2e.fixtures import free_port
from tests.security.world import build, running_app
from webapp import create_app
from webapp.extensions import db
from webapp.services import sessions
from webapp.services.users import create_user

_reps = itertools.count(1)


@dataclass
class SeatedSession:
    """A support session with customers; each customer's seat as the cookie
    its browser would hold."""

    id: int
    seat_ids: list[int]
    cookies: list[str]  # "name=value", one per seat
    rep_email: str  # password "password123"

    @property
    def path(self) -> str:
        return f"/live/sessions/{self.id}"


def seat_customers(app, customers: int) -> SeatedSession:
    """A rep's session with `customers` customers, in the app's database."""
    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    with app.app_context():
        number = next(_reps)
        rep = create_user(f"attacked{number}@example.com", f"Rep {number}", "rep", "password123")
        rep.customer_cap = 1000
        rep.multi_session = True
        support_session, _ = sessions.start_session(rep)
        seat_ids, cookies = [], []
        for index in range(customers):
            customer, secret = sessions.join_as_customer(support_session, f"Customer {index}")
            seat_ids.append(customer.id)
            seats = {"seats": {str(support_session.id): secret}}
            cookies.append(f"{cookie_name}={serializer.dumps(seats)}")
        seated = SeatedSession(support_session.id, seat_ids, cookies, rep.email)
        db.session.remove()
    return seated


class ThreadServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def session(self, customers: int = 2) -> SeatedSession:
        return seat_customers(self.app, customers)

    def login_cookie(self, email: str) -> str:
        """A staff member's session cookie, from the login form."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        form = urllib.parse.urlencode({"email": email, "password": "password123"})
        connection.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        assert response.status == 302, response.read()
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        connection.close()
        return cookie

    def stop(self) -> None:
        self._server.shutdown()
        self.app.extensions["live"].stop()


@pytest.fixture
def serve(tmp_path):
    """Starts the app on a free port with the given settings over TestConfig."""
    servers = []

    def start(**settings) -> ThreadServer:
        app = create_app(
            make_config(
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'attack{len(servers)}.sqlite'}",
                **settings,
            )
        )
        with app.app_context():
            db.create_all()
        server = ThreadServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class GeventServer:
    """The app as `make serve` runs it (gunicorn, one gevent worker) on a
    SQLite file this process fills, so the worker's memory can be read."""

    def __init__(self, tmp_path, settings: dict[str, str]):
        database = f"sqlite:///{tmp_path / 'gevent.sqlite'}"
        # The data, and the cookies that seat it, come from this process.
        # Production refuses a short key: both sides sign with a long one.
        self.app = create_app(make_config(SQLALCHEMY_DATABASE_URI=database, SECRET_KEY="k" * 48))
        with self.app.app_context():
            db.create_all()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REDIS_URL", "DATABASE_URL", "WORKERS")
        }
        env.update(
            DATABASE_URL=database,
            SECRET_KEY=self.app.config["SECRET_KEY"],
            SESSION_COOKIE_SECURE="0",  # plain http on loopback
            WORKERS="1",
            **settings,
        )
        self.port = free_port()
        self._gunicorn = Gunicorn(self.port, env, tmp_path / "gunicorn.log")
        self.worker_pid = _children(self._gunicorn.process.pid)[0]

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def session(self, customers: int = 2) -> SeatedSession:
        return seat_customers(self.app, customers)

    def worker_rss(self) -> int:
        status = Path(f"/proc/{self.worker_pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024

    @contextmanager
    def rss_growth(self):
        """Samples the worker's RSS while the block runs; yields a function
        returning the highest growth over the RSS at the start."""
        start, peak, done = self.worker_rss(), [0], threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], self.worker_rss())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield lambda: max(peak[0], self.worker_rss()) - start
        finally:
            done.set()
            sampler.join()

    def stop(self) -> None:
        self._gunicorn.stop()


def _children(pid: int) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return [int(child) for child in children]
        time.sleep(0.1)
    raise AssertionError("gunicorn started no worker")


@pytest.fixture
def serve_gevent(tmp_path):
    servers = []

    def start(**settings: str) -> GeventServer:
        servers.append(GeventServer(tmp_path, settings))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


# The drills (#13 item 8): a world built with the services, and browsers for
# each kind of user in it (tests/security/world.py).


@pytest.fixture
def drill_app(tmp_path):
    with running_app(tmp_path) as app:
        yield app


@pytest.fixture
def world(drill_app):
    return build(drill_app)


@contextmanager
def serving(app):
    """The app on a real port, for its sockets; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


@pytest.fixture
def world_server(world):
    with serving(world.app) as port:
        yield port


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    """One world for a fuzz module: its targets send their inputs one after another."""
    with running_app(tmp_path_factory.mktemp("fuzz")) as app:
        yield build(app)
