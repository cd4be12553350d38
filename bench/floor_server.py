"""The stack's floor (#18): the durable baseline's work on the app's own stack
and fan-out, with nothing of the app's request handling in it.

gunicorn with the app's `gunicorn.conf.py` (two gevent workers),
simple_websocket as the app sets it up (compression declined, one-socket
reader, whole frames under a lock, pings spread), psycopg's blocking driver
under gevent, then a Redis publish that each worker's one listener hears and
writes to its own sockets of the room, as a frame built once. No Flask, no
SQLAlchemy, no templates, no seat check, no presence, no socket queues.

`FLOOR_WRITE` says how a line is written:

- `insert`: the durable baseline's one autocommit `INSERT … RETURNING`;
- `chain`: as the app must write it into the session's audit chain, in the
  app's round trips (`services/chat_statements.py`): BEGIN; the room's
  chain head locked with the line's id from its sequence; the line, its
  audit event and the new sealed head in one statement, with the hash and
  the seal computed as `services/audit.py` does; COMMIT;
- `chain_two`: the same statements in two round trips, each sent as one
  message of several statements ("BEGIN; the lock", "the write; COMMIT");
- `pipelined`: the same with psycopg's pipeline mode. It costs more CPU a
  line than `chain` (`bench/in_process.py floor`), so the runs leave it out.

The figures show how much of the app's distance from the durable baseline is
the stack (gevent, simple_websocket's threads, the Redis hop two workers
need), how much the chained write, and how much the rest of the app. Run by
`bench/run.py` with `BENCH_FLOOR=1`.
"""

import html
import json
import os
import random
import threading
from collections import defaultdict
from contextlib import contextmanager, suppress

import gevent
import psycopg
from bare_server import fragment
from durable_server import CREATE, INSERT
from gevent.queue import Queue
from simple_websocket import ConnectionClosed, Server

from webapp.live import decline_socket_compression, redis_client
from webapp.live.frames import text_frame
from webapp.live.idle_socket import OneSocketSelector
from webapp.live.limits import WholeFrames
from webapp.models.base import utcnow
from webapp.services import audit, audit_seal

POOL_SIZE = 8  # as the durable baseline's
PING_SECONDS = 20  # the app's LIVE_PING_SECONDS, spread as GuardedSocket spreads it
CHAIN_TABLES = (
    """CREATE TABLE IF NOT EXISTS bench_heads (
        room text PRIMARY KEY, seq bigint NOT NULL DEFAULT 0, head text, seal text)""",
    """CREATE TABLE IF NOT EXISTS bench_events (
        id bigserial PRIMARY KEY, room text NOT NULL, line_id bigint NOT NULL,
        seq bigint NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
        created_at timestamptz NOT NULL)""",
)
HEAD = "INSERT INTO bench_heads (room) VALUES (%s) ON CONFLICT DO NOTHING"
LOCK = "SELECT seq, head, nextval('bench_lines_id_seq') FROM bench_heads WHERE room = %s FOR UPDATE"
WRITE = """WITH line AS (
    INSERT INTO bench_lines (id, room, text, created_at) VALUES (%(id)s, %(room)s, %(text)s, %(at)s)
    RETURNING id), event AS (
    INSERT INTO bench_events (room, line_id, seq, prev_hash, hash, created_at)
    SELECT %(room)s, id, %(seq)s, %(prev)s, %(hash)s, %(at)s FROM line)
UPDATE bench_heads SET seq = %(seq)s, head = %(hash)s, seal = %(seal)s WHERE room = %(room)s"""
SEAL_KEY = b"the floor's own key"
WRITE_MODE = os.environ.get("FLOOR_WRITE", "insert")
# Channels named per run (run.py): the Redis may be another deployment's too.
PREFIX = os.environ.get("FLOOR_CHANNEL_PREFIX", "bench-floor:")


def create_tables(database: psycopg.Connection) -> None:
    """The durable baseline's lines and the chain's heads and events."""
    for table in (CREATE, *CHAIN_TABLES):
        database.execute(table)


def next_link(room: str, seq: int, head: str | None, line_id: int) -> audit.Link:
    """The chain's next link, hashed and sealed as audit.next_link does, with
    the floor's own key: the app's is read from its Flask app."""
    seq, prev, at, data = seq + 1, head or audit_seal.GENESIS, utcnow(), {"message_id": line_id}
    digest = audit_seal.event_hash(0, seq, prev, "chat", 1, at, data)
    seal = audit_seal.sign(SEAL_KEY, audit_seal.head_fields(0, room, seq, digest))
    return audit.Link(seq, prev, digest, seal, at, data)


def _write_params(room: str, text: str, line_id: int, link: audit.Link) -> dict:
    return {"id": line_id, "room": room, "text": text, "at": link.created_at, "seq": link.seq,
            "prev": link.prev_hash, "hash": link.hash, "seal": link.seal}  # fmt: skip


def write_insert(database: psycopg.Connection, room: str, text: str) -> None:
    database.execute(INSERT, (room, text))  # autocommit: one round trip


def write_chained(database: psycopg.Connection, room: str, text: str) -> None:
    """BEGIN, the lock, the write, COMMIT: the app's four round trips."""
    with database.transaction():
        seq, head, line_id = database.execute(LOCK, (room,)).fetchone()
        link = next_link(room, seq, head, line_id)
        database.execute(WRITE, _write_params(room, text, line_id, link))


def write_pipelined(database: psycopg.Connection, room: str, text: str) -> None:
    with database.pipeline():  # the lock's result is read: two syncs
        write_chained(database, room, text)


def write_chained_in_two(database: psycopg.Connection, room: str, text: str) -> None:
    """The same statements as two messages; the connection is in autocommit,
    so psycopg adds no BEGIN of its own, and binds the values client-side."""
    cursor = psycopg.ClientCursor(database)
    try:
        cursor.execute("BEGIN; " + LOCK, (room,))
        cursor.nextset()  # past BEGIN's result to the lock's
        seq, head, line_id = cursor.fetchone()
        link = next_link(room, seq, head, line_id)
        cursor.execute(WRITE + "; COMMIT", _write_params(room, text, line_id, link))
    except psycopg.Error:
        database.execute("ROLLBACK")  # the pooled connection is not left in a failed BEGIN
        raise


WRITES = {
    "insert": write_insert,
    "chain": write_chained,
    "chain_two": write_chained_in_two,
    "pipelined": write_pipelined,
}


def connect(url: str, mode: str) -> psycopg.Connection:
    # psycopg's own transactions where the write takes them; else autocommit.
    return psycopg.connect(url, autocommit=mode in ("insert", "chain_two"))


class Worker:
    """What a worker shares among its sockets, made after the fork by the
    first socket while the others of the storm wait."""

    def __init__(self) -> None:
        self.pool: Queue = Queue()
        for _ in range(POOL_SIZE):
            self.pool.put(connect(os.environ["FLOOR_DATABASE_URL"], WRITE_MODE))
        if WRITE_MODE != "insert":
            database = self.pool.peek()
            with database.transaction():  # the other worker makes them too
                database.execute("SELECT pg_advisory_xact_lock(18)")
                create_tables(database)
        self.redis = redis_client.connect(os.environ["REDIS_URL"])  # the app's own pool
        self.rooms: dict[str, set[Server]] = defaultdict(set)
        subscribed = threading.Event()
        gevent.spawn(self._listen, subscribed)
        subscribed.wait(5)

    def _listen(self, subscribed: threading.Event) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        pubsub.psubscribe(PREFIX + "*")
        pubsub.get_message(timeout=1)  # the psubscribe confirmation
        subscribed.set()
        for message in pubsub.listen():
            frame = text_frame(message["data"].decode())  # the same bytes to every socket
            for ws in list(self.rooms.get(message["channel"].decode()[len(PREFIX) :], ())):
                # Whole, under the socket's write lock; a socket gone is left
                # to its reader, which sees the close, and its handler leaves.
                with suppress(OSError):
                    ws.sock.send(frame)

    @contextmanager
    def connection(self):
        database = self.pool.get()
        try:
            yield database
        finally:
            self.pool.put(database)

    def write(self, room: str, text: str) -> None:
        with self.connection() as database:
            WRITES[WRITE_MODE](database, room, text)


_worker: Worker | None = None
_worker_lock = threading.Lock()  # a gevent lock once the worker has patched


def worker() -> Worker:
    global _worker
    with _worker_lock:
        if _worker is None:
            decline_socket_compression()
            _worker = Worker()
        return _worker


def app(environ, start_response):
    shared = worker()
    room = environ["PATH_INFO"]
    ws = Server(
        environ,
        ping_interval=PING_SECONDS * random.uniform(0.75, 1.0),
        selector_class=OneSocketSelector,
    )
    ws.sock = WholeFrames(ws.sock)
    try:
        if WRITE_MODE != "insert":
            with shared.connection() as database, database.transaction():
                database.execute(HEAD, (room,))
        shared.rooms[room].add(ws)
        while True:
            text = json.loads(ws.receive()).get("message", "")
            shared.write(room, text)
            shared.redis.publish(PREFIX + room, fragment(html.escape(text)))
    except ConnectionClosed:
        pass
    finally:
        shared.rooms[room].discard(ws)
        if ws.connected:
            ws.close()
    raise StopIteration  # gunicorn's way to end a request it no longer owns
