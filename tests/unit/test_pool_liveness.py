"""#18: a pooled PostgreSQL connection is checked at checkout without a round
trip, unless it sat idle for long (webapp/pool_liveness.py)."""

import time

import psycopg
import pytest
import sqlalchemy as sa

from webapp import pool_liveness
from webapp.extensions import db


@pytest.fixture
def pings(app, monkeypatch):
    """The pings the pool sends, counted; the tests run on PostgreSQL only."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the check is PostgreSQL's; SQLite keeps pool_pre_ping")
    sent = []
    answer = db.engine.dialect.do_ping

    def counted_ping(dbapi_connection):
        sent.append(dbapi_connection)
        return answer(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted_ping)
    db.session.remove()
    return sent


def backend_pid() -> int:
    """This session's server process; the connection then goes back to the pool."""
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    db.session.remove()
    return pid


def terminate(pid: int) -> None:
    """What a server shutdown does to each of its connections: the backend
    sends FATAL, then ends."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                time.sleep(0.05)
            else:
                return
    raise AssertionError(f"backend {pid} did not end")


def a_minute_later(monkeypatch) -> None:
    later = time.monotonic() + pool_liveness.PING_AFTER_IDLE_SECONDS + 30
    monkeypatch.setattr(pool_liveness, "monotonic", lambda: later)


def test_a_connection_used_moments_ago_is_taken_without_a_ping(pings):
    first = backend_pid()
    assert [backend_pid() for _ in range(3)] == [first] * 3
    assert pings == []


def test_a_connection_whose_server_went_away_is_replaced_without_an_error(pings):
    gone = backend_pid()
    terminate(gone)
    # Without the check this statement fails: "terminating connection due to
    # administrator command".
    assert backend_pid() != gone
    assert pings == []  # read from the socket, not asked


def test_a_connection_idle_for_long_is_pinged(pings, monkeypatch):
    first = backend_pid()
    a_minute_later(monkeypatch)
    assert backend_pid() == first
    assert len(pings) == 1


def test_an_idle_connection_that_no_longer_answers_is_replaced(pings, monkeypatch):
    first = backend_pid()
    a_minute_later(monkeypatch)

    def silent(dbapi_connection):  # a firewall dropped it: nothing comes back
        raise psycopg.OperationalError("timeout")

    monkeypatch.setattr(db.engine.dialect, "do_ping", silent)
    assert backend_pid() != first


def test_only_psycopg_connections_leave_pool_pre_ping():
    on = {"pool_pre_ping": True}
    assert pool_liveness.engine_options("sqlite:///x.sqlite", on) == on
    assert pool_liveness.engine_options("postgresql+psycopg2://h/db", on) == on
    psycopg_url = "postgresql+psycopg://postgres@127.0.0.1/db"
    assert pool_liveness.engine_options(psycopg_url, on) == {"pool_pre_ping": False}
