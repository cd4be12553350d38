"""#18: a pooled PostgreSQL connection is checked at checkout without a round
trip, unless it sat idle for long (webapp/pool_liveness.py). Always on
PostgreSQL, whatever database the rest of the run uses: the check exists
for a server that can go away."""

import os
import time

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import make_config, require_in_ci
from webapp import create_app, pool_liveness
from webapp.extensions import db

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or POSTGRES
    try:
        psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3).close()
    except psycopg.OperationalError:
        require_in_ci("PostgreSQL is not running on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    return url


@pytest.fixture
def engine(monkeypatch):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=postgres_url()))
    with app.app_context():
        pings = []
        answer = db.engine.dialect.do_ping

        def counted_ping(dbapi_connection):
            pings.append(dbapi_connection)
            return answer(dbapi_connection)

        monkeypatch.setattr(db.engine.dialect, "do_ping", counted_ping)
        db.engine.pings = pings
        yield db.engine
        db.session.remove()
        db.engine.dispose()
    app.extensions["live"].stop()


def backend_pid() -> int:
    """This session's server process; the connection then goes back to the pool."""
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    db.session.remove()
    return pid


def terminate(pid: int) -> None:
    """What a server shutdown does to each of its connections: the backend
    sends FATAL and exits, which closes its end. PostgreSQL runs on this
    machine, so its exit can be waited for."""
    with psycopg.connect(postgres_url().replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"backend {pid} did not exit")


def test_a_connection_used_moments_ago_is_taken_without_a_ping(engine):
    first = backend_pid()
    assert [backend_pid() for _ in range(3)] == [first] * 3
    assert engine.pings == []


def test_a_connection_whose_server_went_away_is_replaced_without_an_error(engine):
    gone = backend_pid()
    terminate(gone)
    # Without the check this statement fails: "server closed the connection".
    assert backend_pid() != gone
    assert engine.pings == []  # read from the socket, not asked


def test_a_connection_idle_for_long_is_pinged(engine, monkeypatch):
    first = backend_pid()
    later = time.monotonic() + pool_liveness.PING_AFTER_IDLE_SECONDS + 1
    monkeypatch.setattr(pool_liveness, "monotonic", lambda: later)
    assert backend_pid() == first
    assert len(engine.pings) == 1


def test_an_idle_connection_that_no_longer_answers_is_replaced(engine, monkeypatch):
    first = backend_pid()
    later = time.monotonic() + pool_liveness.PING_AFTER_IDLE_SECONDS + 1
    monkeypatch.setattr(pool_liveness, "monotonic", lambda: later)

    def silent(dbapi_connection):  # a firewall dropped it: nothing comes back
        raise psycopg.OperationalError("timeout")

    monkeypatch.setattr(engine.dialect, "do_ping", silent)
    assert backend_pid() != first


def test_sqlite_keeps_pool_pre_ping():
    options = pool_liveness.engine_options("sqlite:///x.sqlite", {"pool_pre_ping": True})
    assert options["pool_pre_ping"] is True
    on_postgresql = pool_liveness.engine_options(POSTGRES, {"pool_pre_ping": True})
    assert on_postgresql["pool_pre_ping"] is False
