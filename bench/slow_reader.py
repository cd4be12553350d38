"""`make bench-slow-reader`: what one socket that never reads costs everyone
else (#13 item 2). The app as `make serve` runs it (gunicorn, gevent,
PostgreSQL, Redis) gets the same chat workload twice: without, then with a
socket that never reads while the others of its session send it signals.
Prints and writes bench/slow_reader.json; it asserts nothing (the test that
asserts is tests/security/test_slow_reader.py)."""

import asyncio
import base64
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid

import websockets
from load import STAMP, process_tree, rss_kib
from run import BIN, ROOT, free_port, wait_for_port

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "100"))
CHATTERS = int(os.environ.get("BENCH_PER_SESSION", "5"))
CHAT_SECONDS = float(os.environ.get("BENCH_CHAT_SECONDS", "30"))
SEND_INTERVAL = float(os.environ.get("BENCH_SEND_INTERVAL", "5"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
SIGNALS_PER_SECOND = 4  # per chatter of the first session, to its stalled seat
SDP = "a=" + "x" * 60_000


def stalled_socket(port: int, session_id: int, cookie: str) -> socket.socket:
    """A socket past the handshake that will never read a byte more."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /live/sessions/{session_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    response = b""
    while not response.endswith(b"\r\n\r\n"):
        response += sock.recv(1)
    return sock


def closed_by_server(sock: socket.socket, seconds: float = 15) -> bool:
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


async def phase(port: int, plan: dict, server_pid: int, with_stalled: bool) -> dict:
    cookie_name = plan["cookie_name"]
    first = plan["sessions"][0]
    stalled_seat = first["seats"][0]
    latencies: list[float] = []
    stalled = None
    if with_stalled:
        stalled = stalled_socket(port, first["id"], f"{cookie_name}={first['cookies'][0]}")

    async def open_one(session_id: int, cookie: str):
        return await websockets.connect(
            f"ws://127.0.0.1:{port}/live/sessions/{session_id}",
            additional_headers={"Cookie": f"{cookie_name}={cookie}"},
            open_timeout=60, max_size=None, proxy=None, ping_interval=None,
        )  # fmt: skip

    members = [
        (session, await open_one(session["id"], cookie))
        for session in plan["sessions"]
        for cookie in session["cookies"][1:]
    ]

    async def receive(connection):
        try:
            async for message in connection:
                now = time.time_ns()
                latencies.extend((now - int(stamp)) / 1e6 for stamp in STAMP.findall(message))
        except websockets.WebSocketException:
            pass

    receivers = [asyncio.create_task(receive(connection)) for _, connection in members]
    for _, connection in members:  # each session's Chatt row exists before measuring
        await connection.send(json.dumps({"message": "warm"}))
    await asyncio.sleep(5)
    latencies.clear()
    pids = process_tree(server_pid)
    rss_start, rss_peak, sent = rss_kib(pids), 0, 0
    stop_at = time.monotonic() + CHAT_SECONDS

    async def chatter(index: int, session: dict, connection) -> None:
        nonlocal sent
        await asyncio.sleep(random.random() * SEND_INTERVAL)
        next_line = time.monotonic()
        tick = 0
        while time.monotonic() < stop_at:
            if time.monotonic() >= next_line:
                line = f"t={time.time_ns()} line from {index}"
                await connection.send(json.dumps({"message": line}))
                sent += 1
                next_line += SEND_INTERVAL
            if session is first:  # the same signals with and without the stalled socket
                offer = {"type": "offer", "sdp": f"{tick} {SDP}"}
                await connection.send(json.dumps({
                    "to": stalled_seat, "page": f"p{index}", "signal": {"description": offer},
                }))  # fmt: skip
                tick += 1
                await asyncio.sleep(1 / SIGNALS_PER_SECOND)
            else:
                await asyncio.sleep(max(0.0, next_line - time.monotonic()))

    async def sample_rss() -> None:
        nonlocal rss_peak
        while time.monotonic() < stop_at + 2:
            rss_peak = max(rss_peak, rss_kib(pids))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    await asyncio.gather(*(chatter(i, s, c) for i, (s, c) in enumerate(members)))
    await asyncio.sleep(2)  # the last lines arrive
    await sampler
    for _, connection in members:
        await connection.close()
    for receiver in receivers:
        receiver.cancel()
    latencies.sort()
    result = {
        "stalled_socket": with_stalled,
        "sockets": len(members),
        "lines_sent": sent,
        "deliveries": len(latencies),
        "deliveries_missing": sent * CHATTERS - len(latencies),
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(0.99 * len(latencies))],
        "max_ms": latencies[-1],
        "rss_growth_mib": (rss_peak - rss_start) / 1024,
    }
    if stalled is not None:
        result["stalled_socket_closed"] = closed_by_server(stalled)
        stalled.close()
    return result


def main() -> None:
    import psycopg

    database = f"supportcenter_bench_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f"CREATE DATABASE {database}")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback
        "PRESENCE_GRACE_SECONDS": "3600",
        "WORKERS": WORKERS,
        "PORT": str(port),
    }
    app = None
    try:
        subprocess.run(["redis-cli", "-n", "12", "flushdb"], check=True, capture_output=True)
        subprocess.run(
            [BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
            capture_output=True,
        )  # fmt: skip
        plan = json.loads(
            subprocess.run(
                [BIN / "python", "bench/setup_data.py", str(SESSIONS), str(CHATTERS + 1)],
                cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True,
            ).stdout
        )  # fmt: skip
        app = subprocess.Popen(
            [BIN / "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(port)
        time.sleep(2)
        results = {
            "workload": {
                "sessions": SESSIONS, "chatters_per_session": CHATTERS,
                "chat_seconds": CHAT_SECONDS, "send_interval_s": SEND_INTERVAL,
                "signals_per_second_to_the_stalled_seat": SIGNALS_PER_SECOND * CHATTERS,
                "sdp_bytes": len(SDP), "gunicorn_workers": WORKERS, "cores": os.cpu_count(),
            },
            # Without, with, and without again: the machine drifts between runs.
            "phases": [
                asyncio.run(phase(port, plan, app.pid, with_stalled=stalled))
                for stalled in (False, True, False)
            ],
        }  # fmt: skip
        without = max(results["phases"][0]["p99_ms"], results["phases"][2]["p99_ms"])
        results["p99_with_over_slower_without"] = results["phases"][1]["p99_ms"] / without
        (ROOT / "bench" / "slow_reader.json").write_text(json.dumps(results, indent=2))
        print(json.dumps(results, indent=2))
    finally:
        if app is not None:
            try:
                os.killpg(app.pid, signal.SIGTERM)
                app.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(app.pid, signal.SIGKILL)
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
