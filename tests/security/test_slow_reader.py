"""The reproduction of #13 item 2 against the app as production runs it: a
socket that never reads, while the others of its session chat and send it
signals for 30 s. It held 180 MB of queued signals; now it is closed, and
the worker grows by less than 20 MB. (How the others' delivery times
compare with a run without it is a figure, not an assertion:
bench/slow_reader.py, bench/README.md.)"""

import asyncio
import json
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

import websockets

from tests.security.sockets import drained_until_closed, raw_socket

CHATTERS = 5
CHAT_SECONDS = 30
LINE = re.compile(r"L-\d+-\d+")
SDP = "a=" + "x" * 60_000  # a fat but legal offer: most of the memory a queue held


async def chat(
    url: str, cookies: list[str], stalled_seat: int, seconds: float, tail: float = 2
) -> dict:
    """Each chatter sends two lines and four offers to the stalled seat a
    second (within the rate limit), and counts the lines it hears."""
    heard: dict[int, set[str]] = {index: set() for index in range(len(cookies))}
    sent: set[str] = set()
    stop_at = time.monotonic() + seconds

    async def chatter(index: int, cookie: str) -> None:
        async with websockets.connect(
            url, additional_headers={"Cookie": cookie}, proxy=None, max_size=None
        ) as connection:

            async def listen() -> None:
                async for frame in connection:
                    heard[index].update(LINE.findall(frame))

            listener = asyncio.create_task(listen())
            await asyncio.sleep(random.random() / 2)
            tick = 0
            while time.monotonic() < stop_at:
                if tick % 2 == 0:
                    line = f"L-{index}-{tick}"
                    sent.add(line)
                    await connection.send(json.dumps({"message": f"{line} {'y' * 500}"}))
                offer = {"type": "offer", "sdp": f"{tick} {SDP}"}
                signal = {"to": stalled_seat, "page": f"p{index}", "signal": {"description": offer}}
                await connection.send(json.dumps(signal))
                tick += 1
                await asyncio.sleep(0.25)
            await asyncio.sleep(tail)  # the last lines arrive
            listener.cancel()

    await asyncio.gather(*(chatter(i, cookie) for i, cookie in enumerate(cookies)))
    return {"sent": sent, "heard": heard}


def in_own_loop(coroutine):
    """asyncio.run in a thread: Playwright's sync API, once a browser test has
    run in this process, keeps a loop of its own running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_socket_that_never_reads_is_closed_and_the_worker_stays_small(serve_gevent):
    server = serve_gevent()
    seated = server.session(customers=1 + CHATTERS)
    stalled = raw_socket(server.port, seated.path, seated.cookies[0], receive_buffer=4096)
    url = server.ws_url(seated.path)
    stalled_seat = seated.seat_ids[0]
    in_own_loop(chat(url, seated.cookies[1:], stalled_seat, seconds=2, tail=0.5))  # warm

    with server.rss_growth() as growth:
        result = in_own_loop(chat(url, seated.cookies[1:], stalled_seat, CHAT_SECONDS))

    assert growth() < 20 * 1024 * 1024, f"the worker grew by {growth() / 2**20:.1f} MiB"
    assert drained_until_closed(stalled, seconds=10), "the socket that never reads is open"
    for heard in result["heard"].values():
        assert result["sent"] <= heard, "a chatter missed lines"
