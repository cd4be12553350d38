"""The durable baseline (#18): the bare server, plus what a chat that keeps its
lines cannot skip: one INSERT … RETURNING and one COMMIT per line on the same
PostgreSQL (psycopg async), before the line is broadcast. Nothing else: no
seat check, no events, no presence. Its figures are the physical limit the
app is held to."""

import asyncio
import html
import json
import sys

import psycopg
import websockets
from bare_server import fragment, rooms

POOL_SIZE = 8  # enough that the commits' WAL flushes overlap, as the app's do

CREATE = """CREATE TABLE IF NOT EXISTS bench_lines (
    id bigserial PRIMARY KEY, room text NOT NULL, text text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now())"""
INSERT = "INSERT INTO bench_lines (room, text) VALUES (%s, %s) RETURNING id, created_at"


async def handler(connection, pool: asyncio.Queue) -> None:
    room = connection.request.path
    rooms[room].add(connection)
    try:
        async for raw in connection:
            text = json.loads(raw).get("message", "")
            database = await pool.get()
            try:
                await database.execute(INSERT, (room, text))  # autocommit: one COMMIT
            finally:
                pool.put_nowait(database)
            websockets.broadcast(rooms[room], fragment(html.escape(text)))
    finally:
        rooms[room].discard(connection)


async def main(port: int, database_url: str) -> None:
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(POOL_SIZE):
        pool.put_nowait(await psycopg.AsyncConnection.connect(database_url, autocommit=True))
    setup = await pool.get()
    await setup.execute(CREATE)
    pool.put_nowait(setup)

    async def serve(connection):
        await handler(connection, pool)

    async with websockets.serve(serve, "127.0.0.1", port, ping_interval=20):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
