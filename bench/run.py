"""`make bench`: the app as `make serve` runs it (gunicorn, gevent, PostgreSQL,
Redis) against two baselines under the same workload: a bare websockets
broadcast server that keeps nothing, and the durable bare server that also
INSERTs and COMMITs each line in PostgreSQL before broadcasting it (#18).
Writes bench/results.json and prints the ratios; it asserts nothing."""

import asyncio
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from load import run

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "200"))
PER_SESSION = int(os.environ.get("BENCH_PER_SESSION", "5"))
CHAT_SECONDS = float(os.environ.get("BENCH_CHAT_SECONDS", "30"))
SEND_INTERVAL = float(os.environ.get("BENCH_SEND_INTERVAL", "10"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "30"))
# BENCH_STORM=1: the connect-storm run of #18 (5 s idle, then chat at once).
if os.environ.get("BENCH_STORM") == "1":
    IDLE_SECONDS = 5.0
# BENCH_BASELINES=0 runs the app alone (a quick measurement while profiling).
BASELINES = os.environ.get("BENCH_BASELINES", "1") != "0"
# BENCH_FLOOR=1 adds the stack's floors (bench/floor_server.py) to the baselines:
# the durable baseline's write, and the app's chained one in four round trips and in two.
FLOOR = BASELINES and os.environ.get("BENCH_FLOOR") == "1"
FLOORS = (("floor", "insert"), ("floor_chain", "chain"), ("floor_chain_two", "chain_two"))
# BENCH_SERVER_LOG=path keeps the app's log (gunicorn's and the app's errors).
SERVER_LOG = os.environ.get("BENCH_SERVER_LOG")
RECOVERED_MS = 15.0  # the storm is over once p99 stays under this (#18)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def requests_per_second(port: int, path: str, cookie: str, seconds: float = 8, threads: int = 8):
    """Keep-alive clients in threads, as many requests as the server answers."""
    counts = [0] * threads
    stop_at = time.monotonic() + seconds

    def client(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop_at:
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                counts[index] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / seconds


def py_spy_during(pids: list[int]):
    """py-spy records each app process during one phase, into bench/profiles/
    as collapsed stacks (what limits the figures; bench/top.py sums them)."""
    out = ROOT / "bench" / "profiles"
    out.mkdir(exist_ok=True)
    recorders = [
        subprocess.Popen(
            [
                BIN / "py-spy",
                "record",
                "--pid",
                str(pid),
                "-r",
                "200",
                "-f",
                "raw",
                "-o",
                str(out / f"worker-{index}.txt"),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index, pid in enumerate(pids)
    ]

    def stop():
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            recorder.wait(30)

    return stop


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def storm_recovery(result) -> dict:
    """p99 of the lines sent in each second after the connect storm began, and
    the first second from which every later second's p99 stays under 15 ms."""
    by_second: dict[int, list[float]] = {}
    for sent, latency in zip(result.sent_after_storm_s, result.latencies_ms, strict=True):
        by_second.setdefault(int(sent), []).append(latency)
    p99s = {second: percentile(values, 0.99) for second, values in sorted(by_second.items())}
    recovered_at = None
    for second in sorted(p99s, reverse=True):
        if p99s[second] >= RECOVERED_MS:
            break
        recovered_at = second
    return {
        "p99_ms_by_second": {str(k): round(v, 1) for k, v in p99s.items()},
        "p99_under_15ms_from_second": recovered_at,
        "p99_ms_from_10s": percentile(
            [lat for sent, lat in zip(result.sent_after_storm_s, result.latencies_ms, strict=True)
             if sent >= 10],
            0.99,
        ),
    }  # fmt: skip


def summarize(result) -> dict:
    latencies = result.latencies_ms
    summary = {
        "sockets": result.sockets,
        "connected": result.connected,
        "lines_sent": result.sent,
        "deliveries": len(latencies),
        # Every line should reach every socket of its session, the writer's too.
        "deliveries_missing": result.sent * PER_SESSION - len(latencies),
        "deliveries_per_second": len(latencies) / result.chat_seconds,
        "cpu_ms_per_delivery": 1000 * result.cpu_seconds / max(1, len(latencies)),
        "idle_kib_per_socket": result.idle_rss_per_socket_kib,
        "kib_sent_before_chat_per_socket": result.bytes_before_chat
        / 1024
        / max(1, result.connected),
        "sockets_by_process": result.sockets_by_process,
        "rss_mib_idle": result.idle_rss_kib / 1024,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
    }
    if result.connect_errors:
        summary["connect_errors"] = result.connect_errors
    if result.first_panel_s:
        summary["first_panel_s"] = {
            "p50": percentile(result.first_panel_s, 0.5),
            "p99": percentile(result.first_panel_s, 0.99),
            "max": max(result.first_panel_s),
            "within_5s": sum(1 for t in result.first_panel_s if t <= 5.0),
        }
        summary["storm"] = storm_recovery(result)
    return summary


def ratios(app: dict, baseline: dict) -> dict:
    return {
        "cpu_per_delivery": app["cpu_ms_per_delivery"] / baseline["cpu_ms_per_delivery"],
        "memory_per_idle_socket": app["idle_kib_per_socket"]
        / max(1e-9, baseline["idle_kib_per_socket"]),
        "p99": app["p99_ms"] / baseline["p99_ms"],
    }


def start_floor(env: dict, database: str, write: str, server_log) -> tuple[int, subprocess.Popen]:
    """The stack's floor (bench/floor_server.py), writing each line as the
    durable baseline does (`insert`) or as the app must (`chain`, `chain_two`)."""
    port = free_port()
    process = subprocess.Popen(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket", "floor_server:app"],
        cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=server_log,
        env={**env, "PORT": str(port), "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
             "FLOOR_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
             "FLOOR_WRITE": write, "FLOOR_CHANNEL_PREFIX": f"bench-floor-{uuid.uuid4().hex}:"},
    )  # fmt: skip
    return port, process


def main() -> None:
    import psycopg

    database = f"supportcenter_bench_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f"CREATE DATABASE {database}")
    app_port, bare_port, durable_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback
        "PRESENCE_GRACE_SECONDS": "3600",
        "WORKERS": WORKERS,
        "PORT": str(app_port),
    }
    processes = []
    server_log = open(SERVER_LOG, "w") if SERVER_LOG else subprocess.DEVNULL  # noqa: SIM115
    try:
        subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
        subprocess.run(
            [BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
            capture_output=True,
        )  # fmt: skip
        plan = json.loads(
            subprocess.run(
                [BIN / "python", "bench/setup_data.py", str(SESSIONS), str(PER_SESSION)],
                cwd=ROOT,
                env={**env, "PYTHONPATH": str(ROOT)},
                check=True,
                capture_output=True,
            ).stdout
        )
        # The same command and configuration as `make serve`.
        app = subprocess.Popen(
            [BIN / "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=server_log,
            start_new_session=True,
        )  # fmt: skip
        bare = subprocess.Popen(
            [BIN / "python", "bench/bare_server.py", str(bare_port)], cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        durable = subprocess.Popen(
            [BIN / "python", "bench/durable_server.py", str(durable_port),
             f"postgresql://postgres@127.0.0.1:5432/{database}"],
            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT / "bench")}, start_new_session=True,
        )  # fmt: skip
        processes = [app, bare, durable]
        wait_for_port(app_port)
        wait_for_port(bare_port)
        wait_for_port(durable_port)
        floors = {}
        if FLOOR:  # after the durable server, which makes the lines' table
            for name, write in FLOORS:
                floors[name] = start_floor(env, database, write, server_log)
                processes.append(floors[name][1])
                wait_for_port(floors[name][0])
        time.sleep(2)

        cookie = f"{plan['cookie_name']}={plan['dashboard']['cookie']}"
        hello = requests_per_second(app_port, "/healthz", "")
        dashboard = requests_per_second(app_port, plan["dashboard"]["path"], cookie)

        options = {
            "chat_seconds": CHAT_SECONDS,
            "send_interval": SEND_INTERVAL,
            "idle_seconds": IDLE_SECONDS,
        }
        # BENCH_PROFILE=chat (or 1) profiles the chat phase, =connect the connect storm.
        phase = os.environ.get("BENCH_PROFILE", "")
        profile = {
            "during_chat": py_spy_during if phase in ("1", "chat") else None,
            "during_connect": py_spy_during if phase == "connect" else None,
        }
        app_result = summarize(
            asyncio.run(
                run(
                    f"ws://127.0.0.1:{app_port}", plan, app.pid, **options, **profile,
                    expects_panels=True,
                )
            )
        )  # fmt: skip
        baselines = {}
        if BASELINES:
            servers = [("bare", bare_port, bare), ("durable", durable_port, durable)]
            servers += [(name, port, process) for name, (port, process) in floors.items()]
            for name, port, process in servers:
                baselines[name] = summarize(
                    asyncio.run(run(f"ws://127.0.0.1:{port}", plan, process.pid, **options))
                )
        results = {
            "workload": {
                "sessions": SESSIONS, "per_session": PER_SESSION, "chat_seconds": CHAT_SECONDS,
                "idle_seconds": IDLE_SECONDS, "send_interval_s": SEND_INTERVAL,
                "gunicorn_workers": WORKERS, "cores": os.cpu_count(),
                "load_average": os.getloadavg(),
            },
            "app": app_result,
            **baselines,
            "ratios": {name: ratios(app_result, result) for name, result in baselines.items()},
            # What the stack alone costs against the durable limit.
            "floor_ratios": {name: ratios(baselines[name], baselines["durable"])
                             for name in floors},
            "http": {
                "hello_rps": hello,
                "dashboard_rps": dashboard,
                "dashboard_share_of_hello": dashboard / hello,
            },
        }  # fmt: skip
        name = os.environ.get("BENCH_RESULTS", "results.json")
        (ROOT / "bench" / name).write_text(json.dumps(results, indent=2))
        print(json.dumps(results, indent=2))
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
