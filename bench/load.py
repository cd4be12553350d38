"""The load generator (asyncio + websockets): connects every simulated
browser at once, holds them idle, then has every participant send chat lines
and measures when each line reaches each socket."""

import asyncio
import json
import os
import random
import re
import time
from dataclasses import dataclass, field

import websockets

STAMP = re.compile(r"t=(\d{19})")


@dataclass
class Result:
    sockets: int = 0
    connected: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    # When each delivered line was sent, in seconds after the connect storm
    # began (parallel to latencies_ms): how fast p99 recovers from the storm.
    sent_after_storm_s: list[float] = field(default_factory=list)
    # Seconds from the storm's start to each socket's first message (its panels).
    first_panel_s: list[float] = field(default_factory=list)
    # Why sockets did not connect: the error's kind (and an HTTP status) -> count.
    connect_errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    # What the sockets were sent from the storm's start to the chat: their
    # panels, and every change pushed to them meanwhile.
    bytes_before_chat: int = 0
    # Open sockets (file descriptors) per server process, read when memory is:
    # how evenly the workers shared the storm.
    sockets_by_process: list[int] = field(default_factory=list)
    idle_rss_per_socket_kib: float = 0.0
    idle_rss_kib: int = 0
    cpu_seconds: float = 0.0
    chat_seconds: float = 0.0


def process_tree(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / ticks


def open_sockets(pid: int) -> int:
    try:
        return sum(
            os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
            for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return 0


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


async def run(
    ws_base: str,
    plan: dict,
    server_pid: int,
    *,
    chat_seconds: float,
    send_interval: float,
    idle_seconds: float = 5.0,
    during_chat=None,
    during_connect=None,
    expects_panels: bool = False,
) -> Result:
    result = Result()
    pids = process_tree(server_pid)
    rss_before = rss_kib(pids)
    connections = []

    async def open_one(session_id: int, cookie: str):
        try:
            connection = await websockets.connect(
                f"{ws_base}/live/sessions/{session_id}",
                additional_headers={"Cookie": f"{plan['cookie_name']}={cookie}"},
                open_timeout=60,
                max_size=2**22,
            )
            if expects_panels:  # the app sends a page its panels on connect
                first = await asyncio.wait_for(connection.recv(), 60)
                result.first_panel_s.append(time.time() - storm_at)
                result.bytes_before_chat += len(first)
            return connection
        except (TimeoutError, OSError, websockets.WebSocketException) as error:
            response = getattr(error, "response", None)
            why = type(error).__name__ + (f" {response.status_code}" if response else "")
            if error.__cause__ is not None:  # what the client met: EOF, a reset
                why += f" ({type(error.__cause__).__name__}: {error.__cause__})"
            result.connect_errors[why] = result.connect_errors.get(why, 0) + 1
            return None

    attempts = [
        open_one(session["id"], cookie)
        for session in plan["sessions"]
        for cookie in session["cookies"]
    ]
    result.sockets = len(attempts)
    profiler = during_connect(pids) if during_connect else None
    storm_at = time.time()
    opened = await asyncio.gather(*attempts)  # every connect at once
    connections = [connection for connection in opened if connection is not None]
    result.connected = len(connections)

    chatting = False

    async def receive(connection):
        seen: set[str] = set()  # a line sent again (in a resync's chat log) counts once
        try:
            async for message in connection:
                now = time.time_ns()
                if not chatting:
                    result.bytes_before_chat += len(message)
                for stamp in set(STAMP.findall(message)) - seen:
                    seen.add(stamp)
                    result.latencies_ms.append((now - int(stamp)) / 1e6)
                    result.sent_after_storm_s.append(int(stamp) / 1e9 - storm_at)
        except websockets.WebSocketException:
            pass

    receivers = [asyncio.create_task(receive(connection)) for connection in connections]
    await asyncio.sleep(idle_seconds)
    if profiler is not None:
        profiler()
    pids = process_tree(server_pid)
    result.idle_rss_kib = rss_kib(pids)
    result.idle_rss_per_socket_kib = (result.idle_rss_kib - rss_before) / max(1, result.connected)
    result.sockets_by_process = sorted((open_sockets(pid) for pid in pids), reverse=True)

    stop_at = time.monotonic() + chat_seconds

    async def chatter(connection, index):
        await asyncio.sleep(random.random() * send_interval)
        while time.monotonic() < stop_at:
            line = json.dumps({"message": f"t={time.time_ns()} line from {index}"})
            try:
                await connection.send(line)
            except websockets.WebSocketException:
                return
            result.sent += 1
            await asyncio.sleep(send_interval)

    chatting = True
    profiler = during_chat(pids) if during_chat else None
    cpu_start, wall_start = cpu_seconds(pids), time.monotonic()
    await asyncio.gather(*(chatter(c, i) for i, c in enumerate(connections)))
    if profiler is not None:
        profiler()
    await asyncio.sleep(2)  # let the last lines arrive
    result.cpu_seconds = cpu_seconds(pids) - cpu_start
    result.chat_seconds = time.monotonic() - wall_start
    for connection in connections:
        await connection.close()
    for receiver in receivers:
        receiver.cancel()
    return result
