"""Whether a pooled PostgreSQL connection is still alive when it is checked
out, mostly without asking the server (#18).

SQLAlchemy's pool_pre_ping sends an empty statement at every checkout: one
round trip of the five a chat line makes, and of the four of a socket's
read. A server that shuts down or restarts (`pg_ctl stop`, a failover, a
backend terminated by an administrator) says goodbye first: it sends a FATAL
notice and closes the stream, and both wait in the connection's socket. So
a connection that came back to the pool recently is checked by reading what
its socket holds, which libpq does without blocking and without a round trip.
One idle for long is pinged as before: a firewall that drops idle connections
says nothing.

A check that finds the connection dead makes the pool open a new one in its
place, as pre-ping did. SQLite keeps pool_pre_ping (config.py): it has no
server to go away.
"""

from time import monotonic

import psycopg
import sqlalchemy as sa
from psycopg import pq

# Longer idle than this and the connection is pinged, not just read.
PING_AFTER_IDLE_SECONDS = 30.0
IDLE_SINCE = "idle_since"


def engine_options(uri: str, options: dict) -> dict:
    """The engine's options for `uri`: on PostgreSQL the checkout check
    below replaces pool_pre_ping."""
    if not uri.startswith("postgresql"):
        return options
    return {**options, "pool_pre_ping": False}


def watch(engine: sa.Engine, ping_after: float = PING_AFTER_IDLE_SECONDS) -> None:
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "checkin")
    def idle_from_now(dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = monotonic()

    @sa.event.listens_for(engine, "checkout")
    def still_alive(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop(IDLE_SINCE, None)
        if idle_since is None:  # just opened
            return
        if server_said_goodbye(dbapi_connection):
            raise sa.exc.DisconnectionError("the server closed this connection")
        if monotonic() - idle_since >= ping_after and not _answers(engine, dbapi_connection):
            raise sa.exc.DisconnectionError("this connection no longer answers")


def server_said_goodbye(dbapi_connection: psycopg.Connection) -> bool:
    """Whether the server closed this idle connection. The first read takes
    what arrived (a shutdown's FATAL), the second finds the end of the stream
    behind it; on a live idle connection both find nothing and cost a system
    call each."""
    pgconn = dbapi_connection.pgconn
    try:
        pgconn.consume_input()
        pgconn.consume_input()
    except psycopg.OperationalError:
        return True
    return pgconn.status != pq.ConnStatus.OK


def _answers(engine: sa.Engine, dbapi_connection) -> bool:
    try:
        return engine.dialect.do_ping(dbapi_connection)
    except Exception:  # whatever the driver raises, the connection is of no use
        return False
