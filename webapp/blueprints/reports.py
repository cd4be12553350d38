"""Rapporter (#16 item 2): a period's figures per queue, per agent and per
day, with two charts, and each table as CSV. Admins and supervisors only."""

from flask import Blueprint, render_template, request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp import charts
from webapp.display import seconds
from webapp.models.base import utcnow
from webapp.services import acd, csv_export, reports
from webapp.services.errors import ServiceError

bp = Blueprint("reports", __name__, url_prefix="/reports")

# Each table's CSV columns: a header and how to read it from a row. The page
# shows the same figures; the CSV keeps seconds as numbers for spreadsheets.
_QUEUE = [
    (_l("Queue"), lambda row: row["name"]),
    (_l("Sessions"), lambda row: row["sessions"]),
    (_l("Requests"), lambda row: row["waits"]),
    (_l("Answered"), lambda row: row["answered"]),
    (_l("Abandoned"), lambda row: row["abandoned"]),
    (_l("Transferred here"), lambda row: row["transferred_in"]),
]
_AGENT = [
    (_l("Agent"), lambda row: row["name"]),
    (_l("Sessions"), lambda row: row["sessions"]),
    (_l("Answered"), lambda row: row["answered"]),
    (_l("Transfers"), lambda row: row["transfers"]),
]
_DAY = [
    (_l("Date"), lambda row: row["key"].isoformat()),
    (_l("Sessions"), lambda row: row["sessions"]),
    (_l("Requests"), lambda row: row["waits"]),
    (_l("Answered"), lambda row: row["answered"]),
    (_l("Abandoned"), lambda row: row["abandoned"]),
]


def _spread_columns(name: str, what) -> list:
    return [
        (_l("%(what)s, median (s)", what=what), lambda row: row[name].median),
        (_l("%(what)s, 90th percentile (s)", what=what), lambda row: row[name].p90),
    ]


TABLES = {
    "queues": (
        reports.by_queue,
        _QUEUE
        + _spread_columns("wait", _l("Time to answer"))
        + _spread_columns("handle", _l("Handle time")),
    ),
    "agents": (
        reports.by_agent,
        _AGENT
        + _spread_columns("wait", _l("Time to answer"))
        + _spread_columns("handle", _l("Handle time")),
    ),
    "days": (reports.by_day, _DAY + _spread_columns("wait", _l("Time to answer"))),
}


@bp.before_request
@login_required
def readers_only():
    reports.require_reader(current_user)


@bp.get("/")
def index():
    error = None
    try:
        period = reports.parse(request.args, utcnow().date())
    except ServiceError as refused:
        error, period = refused, reports.default_period(utcnow().date())
    context = {"period": period, "error": error, "args": request.args, "queues": acd.queues()}
    if error is None:
        days = reports.by_day(period)
        context |= {
            "queue_rows": reports.by_queue(period),
            "agent_rows": reports.by_agent(period),
            "day_rows": days,
            "sessions_chart": _chart(days, lambda row: row["sessions"], _count),
            "wait_chart": _chart(days, lambda row: row["wait"].median, seconds),
        }
    return render_template("reports/index.html", **context), error.status if error else 200


@bp.get("/<any(queues, agents, days):table>.csv")
def export(table: str):
    period = reports.parse(request.args, utcnow().date())
    compute, columns = TABLES[table]
    rows = compute(period)
    header = [str(title) for title, _read in columns]
    lines = csv_export.lines(header, ([read(row) for _title, read in columns] for row in rows))
    name = f"report-{table}-{period.date_from.isoformat()}-{period.date_to.isoformat()}.csv"
    return csv_export.response(name, lines)


def _count(value: float) -> str:
    return f"{value:g}"


def _chart(days: list[dict], read, show) -> charts.Chart:
    labels = [format_date(row["key"], "d MMM") for row in days]
    return charts.bars([read(row) for row in days], labels, show)
