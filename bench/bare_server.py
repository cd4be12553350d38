"""The baseline: a bare `websockets` broadcast server doing the least a chat
needs (parse the line, escape it, send it to everyone in the room)."""

import asyncio
import html
import json
import sys
from collections import defaultdict

import websockets

rooms: dict[str, set] = defaultdict(set)


def fragment(text: str) -> str:
    return (
        '<div hx-swap-oob="beforeend:#chat-log"><li class="chat-line">'
        f'<p class="chat-text">{text}</p></li></div>'
    )


async def handler(connection) -> None:
    room = connection.request.path
    rooms[room].add(connection)
    try:
        async for raw in connection:
            text = html.escape(json.loads(raw).get("message", ""))
            websockets.broadcast(rooms[room], fragment(text))
    finally:
        rooms[room].discard(connection)


async def main(port: int) -> None:
    async with websockets.serve(handler, "127.0.0.1", port, ping_interval=20):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
