"""The migration that added the audit trail chains the events a site already
has, seals every session, and (PostgreSQL) makes the log append-only: run as
production runs it, `flask db upgrade` in a process of its own."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
BEFORE = "82625d27eead"  # the last revision without the chain


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database of the kind this run tests on."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    url = sa.make_url(test_url)
    name = f"{url.database}_migration_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "migration-test-" + "k" * 32}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_migration_chains_existing_events_and_verifies(fresh_database):
    assert flask(fresh_database, "db", "upgrade", BEFORE).returncode == 0
    engine = sa.create_engine(fresh_database)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO support_sessions (id, number, state, version, created_at) "
                "VALUES (1, '111222333', 'ended', 1, :at), (2, '444555666', 'active', 1, :at), "
                "(3, '777888999', 'ended', 1, :at)"
            ),
            {"at": "2026-01-01 10:00:00"},
        )
        rows = [
            (1, "started", {}),
            (2, "started", {}),
            (1, "chat", {"message_id": 7}),
            (2, "left", {"reason": "gone", "names": ["Åsa", "Zoë"]}),
            (1, "ended", {"reason": "ended_by_rep"}),
        ]  # session 3 has none: a session purged before the chain
        for second, (support_session_id, kind, data) in enumerate(rows):
            connection.execute(
                sa.text(
                    "INSERT INTO session_events (support_session_id, kind, data, created_at) "
                    "VALUES (:id, :kind, :data, :at)"
                ),
                {"id": support_session_id, "kind": kind, "data": json.dumps(data),
                 "at": f"2026-01-01 10:00:0{second}.25"},
            )  # fmt: skip
    upgraded = flask(fresh_database, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    verified = flask(fresh_database, "audit", "verify", "-v")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "111 222 333: verified, 3 events" in verified.stdout
    assert "777 888 999: verified, 0 events" in verified.stdout
    with engine.connect() as connection:
        assert connection.execute(
            sa.text("SELECT seq FROM session_events WHERE support_session_id = 1 ORDER BY id")
        ).scalars().all() == [1, 2, 3]
        if engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                connection.execute(sa.text("UPDATE session_events SET kind = 'x'"))
    engine.dispose()
    downgraded = flask(fresh_database, "db", "downgrade", BEFORE)
    assert downgraded.returncode == 0, downgraded.stderr
