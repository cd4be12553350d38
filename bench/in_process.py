"""CPU and wall time of the live layer's two hottest paths, in process, on a
fresh PostgreSQL database, under gevent as the workers run them (there each
round trip also pays for gevent's poll). For comparing one change without
the noise of a whole run (#18, changes 22, 24 and 26).

    .venv/bin/python bench/in_process.py line [lines]
    .venv/bin/python bench/in_process.py build [chat lines in the session]
    .venv/bin/python bench/in_process.py dashboard [requests]
    .venv/bin/python bench/in_process.py floor [lines]

`line`: a chat line from a socket (`chat.post_from_seat`), 2,000 times.
`build`: a session's panel snapshot built again (`PanelCache.snapshot` at a
new generation, as after any event), 300 times, for a session of a rep and
four customers.
`dashboard`: the rep's dashboard of such a session through the whole Flask
stack (the test client, with the rep's login cookie), 1,000 times, and
/healthz as often for scale.
`floor`: the stack floor's chained write (bench/floor_server.py), 2,000
lines, in its four round trips, in two, and in psycopg's pipeline mode.
Each prints one JSON object: milliseconds of CPU and wall time.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import psycopg  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
WARM_UP_LINES = 200  # psycopg prepares a statement after its fifth use


def main(what: str, count: int | None) -> None:
    database = f"supportcenter_line_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    admin.execute(f"CREATE DATABASE {database}")
    os.environ["DATABASE_URL"] = f"{SERVER.replace('postgresql', 'postgresql+psycopg')}/{database}"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.pop("REDIS_URL", None)
    try:
        if what == "line":
            print(json.dumps(measure_lines(count or 2000)))
        elif what == "dashboard":
            print(json.dumps(measure_dashboard(count or 1000)))
        elif what == "floor":
            print(json.dumps(measure_floor(f"{SERVER}/{database}", count or 2000)))
        else:
            print(json.dumps(measure_builds(count or 0)))
    finally:
        admin.execute(f"DROP DATABASE {database} WITH (FORCE)")


def start_session():
    """A rep's session in the fresh database; its seat's and session's ids."""
    from webapp.extensions import db
    from webapp.services import sessions
    from webapp.services.users import create_user

    db.create_all()
    rep = create_user("bench-rep@example.com", "Bench Rep", "rep", "bench-password")
    support_session, seat = sessions.start_session(rep)
    ids = seat.id, support_session.id
    db.session.remove()
    return ids


def measure_lines(lines: int) -> dict:
    # Imported here: the configuration reads DATABASE_URL when it loads.
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import chat

    app = create_app()
    with app.app_context():
        seat_id, _ = start_session()
        for index in range(WARM_UP_LINES):
            chat.post_from_seat(seat_id, f"warm-up {index}")
            db.session.remove()
        cpu, wall = time.process_time(), time.perf_counter()
        for index in range(lines):
            chat.post_from_seat(seat_id, f"line {index}")
            db.session.remove()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db.session.remove()
        db.engine.dispose()
    app.extensions["live"].stop()
    return {
        "lines": lines,
        "cpu_ms_per_line": round(1000 * cpu / lines, 3),
        "wall_ms_per_line": round(1000 * wall / lines, 3),
    }


def measure_builds(chat_lines: int, builds: int = 300) -> dict:
    from webapp import create_app
    from webapp.extensions import db
    from webapp.live.bus import Generation
    from webapp.live.snapshots import PanelCache
    from webapp.models import SupportSession
    from webapp.services import chat, sessions

    app = create_app()
    with app.app_context(), app.test_request_context():
        seat_id, session_id = start_session()
        for index in range(4):
            sessions.join_as_customer(db.session.get(SupportSession, session_id), f"Kund {index}")
        for index in range(chat_lines):
            chat.post_from_seat(seat_id, f"Rad {index}: " + "ett ord " * 10)
            db.session.remove()
        cache = PanelCache()
        for generation in range(1, 51):  # warm-up
            cache.snapshot(session_id, "sv", Generation(generation, generation))
            db.session.remove()
        cpu, wall = time.process_time(), time.perf_counter()
        for generation in range(51, 51 + builds):
            cache.snapshot(session_id, "sv", Generation(generation, generation))
            db.session.remove()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db.engine.dispose()
    app.extensions["live"].stop()
    return {
        "chat_lines": chat_lines,
        "builds": builds,
        "cpu_ms_per_build": round(1000 * cpu / builds, 3),
        "wall_ms_per_build": round(1000 * wall / builds, 3),
    }


def measure_dashboard(requests: int) -> dict:
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import SupportSession
    from webapp.services import sessions
    from webapp.services.users import start_login

    app = create_app()
    with app.app_context():
        seat_id, session_id = start_session()
        # As if the rep's page had its socket: a dashboard whose socket never
        # arrives counts as closed after 15 s, and its session would end.
        app.extensions["live"].presence.connect(seat_id, session_id, "bench")
        support_session = db.session.get(SupportSession, session_id)
        for index in range(4):
            sessions.join_as_customer(support_session, f"Kund {index}")
        rep = support_session.started_by
        start_login(rep)
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": rep.get_id(), "_fresh": True}
        )
        db.session.remove()
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    figures = {"requests": requests}
    pages = (
        ("dashboard", f"/dashboard/{session_id}", b"session-live"),
        ("healthz", "/healthz", b"ok"),
    )
    for name, path, shown in pages:
        for _ in range(50):  # warm-up: psycopg prepares a statement after its fifth use
            assert client.get(path).status_code == 200
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(requests):
            response = client.get(path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        # What was timed is the page asked for (the open session's), to the last request.
        assert response.status_code == 200 and shown in response.data, path
        figures[f"{name}_cpu_ms"] = round(1000 * cpu / requests, 3)
        figures[f"{name}_wall_ms"] = round(1000 * wall / requests, 3)
    with app.app_context():
        db.engine.dispose()
    app.extensions["live"].stop()
    return figures


def measure_floor(url: str, lines: int) -> dict:
    sys.path.insert(0, os.path.dirname(__file__))
    import floor_server

    with psycopg.connect(url, autocommit=True) as setup:
        floor_server.create_tables(setup)
        setup.execute(floor_server.HEAD, ("/room",))
    figures = {"lines": lines}
    for mode in ("chain", "chain_two", "pipelined"):
        write = floor_server.WRITES[mode]
        with floor_server.connect(url, mode) as database:
            for index in range(WARM_UP_LINES):
                write(database, "/room", f"warm-up {index}")
            cpu, wall = time.process_time(), time.perf_counter()
            for index in range(lines):
                write(database, "/room", f"line {index}")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        figures[f"{mode}_cpu_ms_per_line"] = round(1000 * cpu / lines, 3)
        figures[f"{mode}_wall_ms_per_line"] = round(1000 * wall / lines, 3)
    return figures


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
