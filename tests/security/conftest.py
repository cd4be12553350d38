import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from tests.security.world import build, running_app


@pytest.fixture
def drill_app(tmp_path):
    with running_app(tmp_path) as app:
        yield app


@pytest.fixture
def world(drill_app):
    return build(drill_app)


@contextmanager
def serve(app):
    """The app on a real port, for its sockets; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


@pytest.fixture
def world_server(world):
    with serve(world.app) as port:
        yield port


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    """One world for a fuzz module: its targets send their inputs one after another."""
    with running_app(tmp_path_factory.mktemp("fuzz")) as app:
        yield build(app)
