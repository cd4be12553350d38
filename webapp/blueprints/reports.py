"""Rapporter (#16 item 2): a period's figures per queue, per agent and per
day, with two charts, and each table as CSV. Admins and supervisors only."""

from flask import Blueprint, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp import charts
from webapp.display import seconds
from webapp.models.base import utcnow
from webapp.services import acd, csv_export, reports
from webapp.services.errors import ServiceError

bp = Blueprint("reports", __name__, url_prefix="/reports")


def csv_header(columns) -> list[str]:
    header = []
    for column in columns:
        if column.kind == "spread":
            header += [
                _("%(what)s, median (s)", what=column.title),
                _("%(what)s, 90th percentile (s)", what=column.title),
            ]
        else:
            header.append(str(column.title))
    return header


def csv_cells(columns, row: dict) -> list:
    """One row of a report's CSV: seconds stay numbers for spreadsheets."""
    cells = []
    for column in columns:
        value = row[column.key]
        if column.kind == "spread":
            cells += [value.median, value.p90]
        else:
            cells.append(value.isoformat() if column.kind == "date" else value)
    return cells


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
            "tables": [
                ("queues", _l("Per queue"), reports.QUEUE_COLUMNS, reports.by_queue(period)),
                ("agents", _l("Per agent"), reports.AGENT_COLUMNS, reports.by_agent(period)),
            ],
            "day_columns": reports.DAY_COLUMNS,
            "day_rows": days[::-1],  # the newest first
            "sessions_chart": _chart(days, lambda row: row["sessions"], _count),
            "wait_chart": _chart(days, lambda row: row["wait"].median, seconds),
        }
    return render_template("reports/index.html", **context), error.status if error else 200


@bp.get("/<any(queues, agents, days):table>.csv")
def export(table: str):
    period = reports.parse(request.args, utcnow().date())
    compute, columns = reports.TABLES[table]
    rows = compute(period)
    lines = csv_export.lines(csv_header(columns), (csv_cells(columns, row) for row in rows))
    name = f"report-{table}-{period.date_from.isoformat()}-{period.date_to.isoformat()}.csv"
    return csv_export.response(name, lines)


def _count(value: float) -> str:
    return f"{value:g}"


def _chart(days: list[dict], read, show) -> charts.Chart:
    labels = [format_date(row["key"], "d MMM") for row in days]
    return charts.bars([read(row) for row in days], labels, show)
