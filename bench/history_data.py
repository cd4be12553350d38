"""Fills DATABASE_URL (PostgreSQL) with BENCH_HISTORY_SESSIONS ended sessions
(100,000 by default) spread over the last year, for bench/history_bench.py:
queues, agents and reps through the services, then sessions, seats, events
and offers by COPY, a few seconds instead of the hours the ORM would take.

Six in ten sessions are customers' requests in a queue: one in ten of those
is abandoned, one in ten is transferred on to another queue; the rest are
sessions a rep started. The event chain's hashes are placeholders: the
benchmark reads the log, it does not verify it."""

import json
import os
import random
from datetime import timedelta

import sqlalchemy as sa

from webapp import create_app
from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.services import queues
from webapp.services.users import create_user

SESSIONS = int(os.environ.get("BENCH_HISTORY_SESSIONS", "100000"))
PASSWORD = "bench-password"
FIRST = "Anna Bo Carl Dina Erik Frida Gustav Hanna Isak Jonna Karl Lena Måns Nils Ola Pia Åsa Örjan"
LAST = "Andersson Berg Carlsson Dahl Ek Forsberg Holm Lind Lundqvist Nilsson Öberg Ström Wikström"
PLACEHOLDER = "0" * 64


class Rows:
    """The rows of each table, with ids handed out here."""

    def __init__(self):
        self.tables = {
            "support_sessions": [],
            "participants": [],
            "session_events": [],
            "offers": [],
        }

    def add(self, table: str, row: tuple) -> int:
        self.tables[table].append(row)
        return len(self.tables[table])


class Session:
    """One session's rows: its seats and its event chain."""

    def __init__(self, rows: Rows, session_id: int):
        self.rows, self.id, self.seq = rows, session_id, 0

    def seat(self, role, user, name, email, joined, left, reason) -> int:
        row = (self.id, role, user, name, email, joined, left, reason, False)
        return self.rows.add("participants", row)

    def event(self, kind, seat, at, **data) -> None:
        self.seq += 1
        row = (self.id, kind, seat, json.dumps(data), at, self.seq, PLACEHOLDER, PLACEHOLDER)
        self.rows.add("session_events", row)


def people(rand: random.Random) -> tuple[str, str]:
    name = f"{rand.choice(FIRST.split())} {rand.choice(LAST.split())}"
    return name, name.lower().replace(" ", ".").replace("å", "a").replace("ö", "o") + "@example.se"


def staff() -> tuple[list, list, list]:
    queue_ids = [
        queues.create_queue(f"Kö {name}").id
        for name in ("Skrivare", "Nätverk", "E-post", "Telefoni", "Konton", "Övrigt")
    ]
    agents = [
        create_user(f"agent{n}@bench.example", f"Agent {n}", "agent", PASSWORD) for n in range(40)
    ]
    reps = [create_user(f"rep{n}@bench.example", f"Rep {n}", "rep", PASSWORD) for n in range(10)]
    create_user("admin@bench.example", "Bench Admin", "admin", PASSWORD)
    db.session.commit()
    return queue_ids, [(a.id, a.name) for a in agents], [(r.id, r.name) for r in reps]


def answered(session, rows, rand, queue, agents, asked_at, until_end) -> tuple:
    """Offers to one to three agents, the first accepts; returns (seat, when)."""
    wait = timedelta(seconds=rand.lognormvariate(3.6, 0.8))
    chosen = rand.sample(agents, rand.randint(1, 3))
    for index, (agent_id, _name) in enumerate(chosen):
        state = "accepted" if index == 0 else "withdrawn"
        rows.add("offers", (session.id, agent_id, queue, None, state, asked_at, asked_at + wait))
    taken_at = asked_at + wait
    agent_id, agent_name = chosen[0]
    left = taken_at + until_end
    seat = session.seat("rep", agent_id, agent_name, None, taken_at, left, "session_ended")
    session.event("offer_accepted", seat, taken_at, queue_id=queue)
    return seat, taken_at, left


def requested(session, rows, rand, start, queue_ids, agents) -> tuple:
    name, email = people(rand)
    queue = rand.choice(queue_ids)
    customer = session.seat("customer", None, name, email, start, None, "session_ended")
    session.event("requested", customer, start, queue_id=queue)
    if rand.random() < 0.1:  # abandoned before anyone took it
        gone = start + timedelta(seconds=rand.randint(20, 600))
        session.event("ended", None, gone, reason="abandoned")
        return queue, gone, "abandoned", customer
    handle = timedelta(seconds=rand.lognormvariate(6.2, 0.6))
    seat, _taken, left = answered(session, rows, rand, queue, agents, start, handle)
    if rand.random() < 0.1:  # handed on to another queue: the first seat left so
        queue = rand.choice([q for q in queue_ids if q != queue])
        first = rows.tables["participants"][seat - 1]
        rows.tables["participants"][seat - 1] = (*first[:7], "transferred", first[8])
        session.event("transferred_to_acd", seat, left, queue_id=queue)
        handle = timedelta(seconds=rand.lognormvariate(5.8, 0.6))
        _seat, _taken, left = answered(session, rows, rand, queue, agents, left, handle)
    session.event("ended", None, left, reason="ended_by_rep")
    return queue, left, "ended_by_rep", customer


def started(session, rand, start, reps) -> tuple:
    rep_id, rep_name = rand.choice(reps)
    end = start + timedelta(seconds=rand.lognormvariate(6.4, 0.7))
    seat = session.seat("rep", rep_id, rep_name, None, start, end, "session_ended")
    session.event("started", seat, start)
    name, _email = people(rand)
    customer = session.seat(
        "customer", None, name, None, start + timedelta(seconds=30), end, "session_ended"
    )
    session.event("joined", customer, start + timedelta(seconds=30))
    session.event("ended", seat, end, reason="ended_by_rep")
    return None, end, "ended_by_rep", rep_id


def generate(queue_ids, agents, reps) -> Rows:
    rand, rows, now = random.Random(16), Rows(), utcnow()
    numbers = rand.sample(range(100_000_000, 1_000_000_000), SESSIONS)
    for index in range(SESSIONS):
        start = now - timedelta(days=365) + timedelta(seconds=index * 365 * 86400 / SESSIONS)
        session = Session(rows, index + 1)
        if rand.random() < 0.6:
            queue, end, reason, _ = requested(session, rows, rand, start, queue_ids, agents)
            started_by = None
        else:
            queue, end, reason, started_by = started(session, rand, start, reps)
        rows.add(
            "support_sessions",
            (str(numbers[index]), "ended", started_by, queue, start, end, reason, 1, session.seq),
        )
    return rows


COLUMNS = {
    "support_sessions": "number, state, started_by_id, queue_id, created_at, ended_at,"
    " end_reason, version, audit_seq",
    "participants": "support_session_id, role, user_id, name, email, joined_at, left_at,"
    " left_reason, has_microphone",
    "session_events": "support_session_id, kind, participant_id, data, created_at, seq,"
    " prev_hash, hash",
    "offers": "support_session_id, agent_id, queue_id, message, state, created_at, decided_at",
}


def copy(rows: Rows) -> None:
    """COPY with ids in order (1, 2, 3 …), then each sequence moved past them."""
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        for table, columns in COLUMNS.items():
            with cursor.copy(f"COPY {table} (id, {columns}) FROM STDIN") as copying:
                for row_id, row in enumerate(rows.tables[table], start=1):
                    copying.write_row((row_id, *row))
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {len(rows.tables[table])})"
            )
            cursor.execute(f"ANALYZE {table}")
    connection.commit()


def main() -> None:
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit(
                "bench/history_data.py fills PostgreSQL (DATABASE_URL=postgresql+psycopg://…)"
            )
        if db.session.scalar(sa.text("SELECT count(*) FROM support_sessions")):
            raise SystemExit("The database already holds sessions; the bench wants an empty one.")
        rows = generate(*staff())
        copy(rows)
        print({table: len(found) for table, found in rows.tables.items()})


if __name__ == "__main__":
    main()
