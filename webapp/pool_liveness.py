"""Whether a pooled PostgreSQL connection is still alive when it is checked
out, mostly without asking the server (#18).

SQLAlchemy's pool_pre_ping sends an empty statement at every checkout: one
round trip of the five a chat line made, and of the four of a socket's read.
A server that shuts down or restarts (`pg_ctl stop`, a backend terminated by
an administrator) says goodbye first: it sends each connection a FATAL
notice, then closes it. Both wait in the connection's socket, and libpq
reads them without blocking and without a round trip: the notice reaches
the connection's notice handlers, and the close makes the read fail.

A server that vanishes without a word (its host crashed, its address moved
to a standby) leaves nothing to read. A connection idle for 30 s or more is
pinged as before; one used more recently fails on its first statement, which
answers 503 (web.py) and makes the pool replace every connection it had.
TCP keepalives in DATABASE_URL shorten that (docs/deploy.md).

A check that finds the connection dead makes the pool open a new one in its
place, as pre-ping did. SQLite, and any driver but psycopg, keeps
pool_pre_ping.
"""

from time import monotonic

import psycopg
import sqlalchemy as sa
from psycopg import pq

# Longer idle than this and the connection is pinged, not just read.
PING_AFTER_IDLE_SECONDS = 30.0
IDLE_SINCE = "idle_since"
SAID_GOODBYE = "said_goodbye"


def checks_reads(uri: str | sa.URL) -> bool:
    """Whether this database's connections are checked by reading them."""
    url = sa.make_url(uri)
    return url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg"


def engine_options(uri: str, options: dict) -> dict:
    """The engine's options for `uri`: where watch() checks connections,
    pool_pre_ping is off."""
    return {**options, "pool_pre_ping": False} if checks_reads(uri) else options


def watch(engine: sa.Engine) -> None:
    if not checks_reads(engine.url):
        return

    @sa.event.listens_for(engine, "connect")
    def hear_goodbyes(dbapi_connection: psycopg.Connection, record) -> None:
        record.info.pop(SAID_GOODBYE, None)  # heard by the connection this one replaces

        def heard(diagnostic: psycopg.errors.Diagnostic) -> None:
            # Only an idle connection gets a FATAL as a notice: during a
            # statement it is that statement's error.
            if diagnostic.severity_nonlocalized == "FATAL":
                record.info[SAID_GOODBYE] = True

        dbapi_connection.add_notice_handler(heard)

    @sa.event.listens_for(engine, "checkin")
    def idle_from_now(dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = monotonic()

    @sa.event.listens_for(engine, "checkout")
    def still_alive(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop(IDLE_SINCE, None)
        if idle_since is None:  # just opened
            return
        closed = closed_by_server(dbapi_connection)
        if record.info.pop(SAID_GOODBYE, False) or closed:
            raise sa.exc.DisconnectionError("the server closed this connection")
        idle_for = monotonic() - idle_since
        if idle_for >= PING_AFTER_IDLE_SECONDS and not _answers(engine, dbapi_connection):
            raise sa.exc.DisconnectionError("this connection no longer answers")


def closed_by_server(dbapi_connection: psycopg.Connection) -> bool:
    """Reads what arrived on this idle connection, which hands a FATAL
    notice to its notice handlers (hear_goodbyes); True when the read found
    the connection closed."""
    pgconn = dbapi_connection.pgconn
    try:
        pgconn.consume_input()
        pgconn.is_busy()  # parses what consume_input read
    except psycopg.OperationalError:
        return True
    return pgconn.status != pq.ConnStatus.OK


def _answers(engine: sa.Engine, dbapi_connection) -> bool:
    try:
        return engine.dialect.do_ping(dbapi_connection)
    except Exception:  # whatever the driver raises, the connection is of no use
        return False
