"""Times the history search and each report on the sessions that
bench/history_data.py made (#16 item 2: under 200 ms each on PostgreSQL).

Each figure is the median of BENCH_HISTORY_RUNS runs (7) after one warm-up:
the service call alone (the SQL and the Python that shapes it), and for the
pages the whole request through the test client (login, SQL, template).
Prints a table, writes bench/history_results.json, and with --explain prints
the plans of the report queries."""

import json
import os
import statistics as stats
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from webapp import create_app
from webapp.extensions import db
from webapp.models import Queue, User
from webapp.models.base import utcnow
from webapp.services import history, reports

RUNS = int(os.environ.get("BENCH_HISTORY_RUNS", "7"))
TARGET_MS = 200


def timed(action) -> float:
    action()  # warm-up: plans and caches, as on a server that has been up a while
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1000)
    db.session.remove()
    return stats.median(runs)


def searches(admin: User, rep: User, queue_id: int) -> dict:
    today = utcnow().date()
    week = {"from": (today - timedelta(days=6)).isoformat()}
    plain = {
        "history: everything, page 1 (admin)": (admin, {}),
        "history: everything, page 40 (admin)": (admin, {"page": "40"}),
        "history: customer name 'lind' (admin)": (admin, {"customer": "lind"}),
        "history: staff 'agent 7' (admin)": (admin, {"staff": "agent 7"}),
        "history: session number prefix '12345' (admin)": (admin, {"number": "12345"}),
        "history: one queue, last 7 days (admin)": (admin, {"queue": str(queue_id), **week}),
        "history: a rep's own sessions": (rep, {}),
        "history: a rep's own, customer 'berg'": (rep, {"customer": "berg"}),
    }
    return {
        name: (lambda user=user, args=args: history.search(user, history.parse(args)))
        for name, (user, args) in plain.items()
    }


def report_calls(queue_id: int) -> dict:
    today = utcnow().date()
    month = reports.default_period(today)
    year = reports.Period(today - timedelta(days=365), today)
    calls = {}
    for label, period in (("30 days", month), ("a year", year)):
        for table in ("by_queue", "by_agent", "by_day"):
            compute = getattr(reports, table)
            calls[f"report {table}, {label}"] = lambda c=compute, p=period: c(p)
    queue_month = reports.Period(month.date_from, month.date_to, queue_id)
    calls["report by_agent, 30 days, one queue"] = lambda: reports.by_agent(queue_month)
    return calls


def pages(app, admin_email: str) -> dict:
    client = app.test_client()
    client.post("/login", data={"email": admin_email, "password": "bench-password"})
    return {
        "page /reports/ (30 days, all three tables, charts)": lambda: _ok(client.get("/reports/")),
        "page /history/ (admin)": lambda: _ok(client.get("/history/")),
        "page /history/?customer=lind": lambda: _ok(client.get("/history/?customer=lind")),
        "csv /reports/agents.csv": lambda: _ok(client.get("/reports/agents.csv")),
        "csv /history/export.csv, last 7 days": lambda: _ok(
            client.get(
                "/history/export.csv",
                query_string={"from": (utcnow().date() - timedelta(days=6)).isoformat()},
            )
        ),
    }


def _ok(response):
    assert response.status_code == 200, response.status_code


def explain(queue_id: int) -> None:
    """The plans of the report queries, as PostgreSQL runs them."""
    from sqlalchemy.dialects import postgresql

    period = reports.default_period(utcnow().date())
    for name, subquery in (("waits", reports._waits(period)), ("seats", reports._seats(period))):
        query = subquery.element
        sql = str(
            query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        print(f"--- {name}\n")
        for (line,) in db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")):
            print(line)


def main() -> None:
    app = create_app()
    app.config.update(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@bench.example"))
        rep = db.session.scalar(sa.select(User).where(User.email == "rep3@bench.example"))
        queue_id = db.session.scalar(sa.select(Queue.id).order_by(Queue.id))
        if "--explain" in sys.argv:
            explain(queue_id)
            return
        results = {}
        with app.test_request_context():
            for name, action in {
                **searches(admin, rep, queue_id),
                **report_calls(queue_id),
            }.items():
                results[name] = timed(action)
                print(f"{results[name]:8.1f} ms  {name}", flush=True)
        for name, action in pages(app, admin.email).items():
            results[name] = timed(action)
            print(f"{results[name]:8.1f} ms  {name}", flush=True)
        over = {name: ms for name, ms in results.items() if ms > TARGET_MS}
        print(f"\n{len(results) - len(over)} of {len(results)} under {TARGET_MS} ms; over: {over}")
        out = Path(__file__).with_name("history_results.json")
        out.write_text(json.dumps({"runs": RUNS, "median_ms": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
