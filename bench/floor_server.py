"""The stack's floor (#18): what the durable baseline does, on the app's own
stack and fan-out, with nothing of the app in it.

gunicorn with the app's `gunicorn.conf.py` (two gevent workers),
simple_websocket as flask-sock runs it, psycopg's blocking driver under
gevent, one `INSERT … RETURNING` in autocommit per line, then a Redis publish
that each worker's one listener hears and writes to its own sockets of the
room, as a frame built once and sent as bytes. No Flask, no SQLAlchemy, no
templates, no seat check, no audit chain, no presence.

With `FLOOR_WRITE=chain` each line is written as the app must write it, in
the same round trips (`services/chat_statements.py`): BEGIN; the room's
chain head locked; the line, its audit event and the new sealed head in one
statement, their hash and seal computed as `services/audit.py` does; COMMIT.
The seat check the app's first statement also makes is left out.
`FLOOR_WRITE=pipelined` sends the same with psycopg's pipeline mode, BEGIN
with the lock and the write with COMMIT; it costs more CPU a line than the
four round trips (`bench/in_process.py floor`), so the runs leave it out.

What these cost a delivery is the least the app's design can cost: the live
layer is held to the durable baseline, and this shows how much of the gap is
the stack (gevent, threads of simple_websocket, the Redis hop two workers
need), how much the audit chain's transaction, and how much is the rest of
the app. Run by `bench/run.py` with `BENCH_FLOOR=1`.
"""

import html
import json
import os
import threading
from collections import defaultdict

import gevent
import psycopg
import redis
from bare_server import fragment
from gevent.queue import Queue
from simple_websocket import ConnectionClosed, Server

from webapp.live import redis_client
from webapp.live.frames import text_frame
from webapp.models.base import utcnow
from webapp.services import audit_seal

POOL_SIZE = 8  # as the durable baseline's
CREATE_LINES = """CREATE TABLE IF NOT EXISTS bench_lines (
    id bigserial PRIMARY KEY, room text NOT NULL, text text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now())"""  # the durable baseline's
INSERT = "INSERT INTO bench_lines (room, text) VALUES (%s, %s) RETURNING id, created_at"
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
# Channels named per run: the Redis may be shared (DESIGN.md "storage").
PREFIX = os.environ["FLOOR_CHANNEL_PREFIX"]
WRITE_MODE = os.environ.get("FLOOR_WRITE", "insert")  # insert, chain or pipelined
CHAIN = WRITE_MODE in ("chain", "pipelined")

rooms: dict[str, set] = defaultdict(set)
_state: dict = {}
_state_lock = threading.Lock()  # a gevent lock once the worker has patched


def _worker_state() -> dict:
    """Connections and the listener, made in the worker after the fork, by
    the first socket while the others of the storm wait."""
    with _state_lock:
        if _state:
            return _state
        pool: Queue = Queue()
        for _ in range(POOL_SIZE):
            pool.put(psycopg.connect(os.environ["FLOOR_DATABASE_URL"], autocommit=not CHAIN))
        if CHAIN:
            database = pool.peek()
            with database.transaction():  # the other worker makes them too
                database.execute("SELECT pg_advisory_xact_lock(18)")
                for table in CHAIN_TABLES:
                    database.execute(table)
        client = redis_client.connect(os.environ["REDIS_URL"])  # the app's own pool
        _state.update(pool=pool, redis=client)
        gevent.spawn(_listen, client)
        return _state


def _listen(client: redis.Redis) -> None:
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe(PREFIX + "*")
    for message in pubsub.listen():
        room = message["channel"].decode()[len(PREFIX) :]
        frame = text_frame(message["data"].decode())
        for ws in list(rooms.get(room, ())):
            try:
                ws.sock.send(frame)  # the same bytes to every socket
            except OSError:
                rooms[room].discard(ws)


def write_chained(database: psycopg.Connection, room: str, text: str) -> None:
    if WRITE_MODE == "pipelined":
        with database.pipeline():  # the lock's result is read, so two syncs
            _write_chained(database, room, text)
    else:
        _write_chained(database, room, text)


def _write_chained(database: psycopg.Connection, room: str, text: str) -> None:
    """One line as the app writes it: its round trips, one hash, one seal."""
    with database.transaction():
        seq, head, line_id = database.execute(LOCK, (room,)).fetchone()
        seq, prev, at = seq + 1, head or audit_seal.GENESIS, utcnow()
        digest = audit_seal.event_hash(0, seq, prev, "chat_message", 1, at, {"line": line_id})
        seal = audit_seal.sign(SEAL_KEY, audit_seal.head_fields(0, room, seq, digest))
        database.execute(
            WRITE,
            {"id": line_id, "room": room, "text": text, "at": at, "seq": seq, "prev": prev,
             "hash": digest, "seal": seal},
        )  # fmt: skip


def app(environ, start_response):
    state = _worker_state()
    room = environ["PATH_INFO"]
    ws = Server(environ, ping_interval=20)
    rooms[room].add(ws)
    if CHAIN:
        database = state["pool"].get()
        try:
            with database.transaction():
                database.execute(HEAD, (room,))
        finally:
            state["pool"].put(database)
    try:
        while True:
            raw = ws.receive()
            text = json.loads(raw).get("message", "")
            database = state["pool"].get()
            try:
                if CHAIN:
                    write_chained(database, room, text)
                else:
                    database.execute(INSERT, (room, text))
            finally:
                state["pool"].put(database)
            state["redis"].publish(PREFIX + room, fragment(html.escape(text)))
    except ConnectionClosed:
        pass
    finally:
        rooms[room].discard(ws)
        if ws.connected:
            ws.close()
    raise StopIteration  # gunicorn's way to end a request it no longer owns
