"""Real gunicorn processes on PostgreSQL and Redis, a PostgreSQL server of a
test's own, and a small TCP proxy that sends each new connection to the first
backend that answers, as a load balancer with health checks would. Used by
the scale-out tests (#4) and the fault drills (#14 item 5)."""

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


class Gunicorn:
    def __init__(self, port: int, env: dict[str, str], log_path: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--no-control-socket",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one signal reaches master and workers
        )
        wait_for_http(self.url + "/join/")

    def kill(self) -> None:
        """SIGKILL, as a crashed machine: no clean close of any socket."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def workers(self) -> list[int]:
        """The worker processes' ids, as the master has them now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(child) for child in children.read_text().split()]

    def client_ports_by_worker(self) -> dict[int, set[int]]:
        """Which worker holds which open connection, by the client's port:
        every worker accepts on the one listening socket, so only the kernel
        knows where a page's socket went."""
        client_ports = {}  # socket inode -> client port
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as rows:
                for row in list(rows)[1:]:
                    fields = row.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    if local_port == self.port and fields[3] == "01":  # ESTABLISHED
                        client_ports[fields[9]] = int(fields[2].rsplit(":", 1)[1], 16)
        held = {}
        for worker in self.workers():
            held[worker] = set()
            for fd in Path(f"/proc/{worker}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:  # closed meanwhile
                    continue
                if target.startswith("socket:["):
                    port = client_ports.get(target[len("socket:[") : -1])
                    if port is not None:
                        held[worker].add(port)
        return held

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def wait_for_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries Debian installed, if any."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return None
    return Path(max(found, key=lambda path: int(Path(path).parts[-3]))).parent


class PrivatePostgres:
    """A PostgreSQL server of the test's own, on a free port, trusting
    127.0.0.1 only, so a drill can stop it without touching the machine's
    shared one. initdb refuses to run as root: as root, the server runs as
    the postgres user, in a folder of its own under /tmp."""

    def __init__(self, bin_dir: Path, port: int):
        self.bin_dir, self.port = bin_dir, port
        self.dir = Path(tempfile.mkdtemp(prefix="supportcenter-pg-"))
        self.data = self.dir / "data"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "supportcenter")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/supportcenter"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin_dir / program), *args],
            check=True, capture_output=True, cwd=self.dir, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                  "-o", options, "-w", "-t", "60")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """`fast`: the server rolls back what is open, ends every connection
        and writes what was committed, as `systemctl restart` does."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class FailoverProxy:
    """Forwards each connection to the first backend port that accepts it."""

    def __init__(self, listen_port: int, backend_ports: list[int]):
        self.port = listen_port
        self.url = f"http://127.0.0.1:{listen_port}"
        self.backend_ports = backend_ports
        self.refusing = False
        self._open_writers: set = set()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._server = server
        self._started.set()
        self._loop.run_forever()

    async def _handle(self, client_reader, client_writer) -> None:
        if self.refusing:
            client_writer.close()
            return
        for port in self.backend_ports:
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        else:
            client_writer.close()
            return
        self._open_writers.update((client_writer, backend_writer))
        await asyncio.gather(
            self._pipe(client_reader, backend_writer), self._pipe(backend_reader, client_writer)
        )
        self._open_writers.difference_update((client_writer, backend_writer))

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def cut(self) -> None:
        """A network blip: every open connection drops (the browser sees 1006)
        and new ones are refused until `restore`."""

        def drop_all():
            self.refusing = True
            for writer in list(self._open_writers):
                writer.transport.abort()

        self._loop.call_soon_threadsafe(drop_all)

    def restore(self) -> None:
        self.refusing = False

    def stop(self) -> None:
        async def shutdown():
            self._server.close()
            for writer in list(self._open_writers):
                writer.transport.abort()
            pipes = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
