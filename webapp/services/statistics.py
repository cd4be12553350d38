"""Grouped counts, means and percentiles the same on PostgreSQL and SQLite.

PostgreSQL computes medians and 90th percentiles itself (`percentile_cont`);
SQLite has no such aggregate, so it sends one narrow column per figure and
Python interpolates the way `percentile_cont` does: at position f·(n-1)
between the two nearest values. Counts and means are SQL on both."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from webapp.extensions import db

FRACTIONS = {"median": 0.5, "p90": 0.9}


class seconds_between(sa.sql.functions.FunctionElement):  # noqa: N801 (an SQL function)
    """`later - earlier` in seconds, NULL when either is NULL."""

    type = sa.Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


def count_if(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class Spread:
    """How a duration spreads: how many, the median and the 90th percentile,
    in whole seconds (None when there is nothing to measure)."""

    count: int = 0
    median: int | None = None
    p90: int | None = None


@dataclass(frozen=True)
class Figures:
    """What to compute per group: counts (SQL aggregates), spreads (a column
    of seconds, as a Spread) and means (a column, as its average)."""

    counts: dict = field(default_factory=dict)
    spreads: dict = field(default_factory=dict)
    means: dict = field(default_factory=dict)


def empty_row(key, figures: Figures) -> dict:
    row = {"key": key} | {name: 0 for name in figures.counts}
    row |= {name: Spread() for name in figures.spreads}
    return row | {name: None for name in figures.means}


def grouped(key, figures: Figures, where=None) -> list[dict]:
    """One dict per value of `key`: each figure by its name, and "key"."""
    columns = [key.label("key")]
    columns += [expression.label(name) for name, expression in figures.counts.items()]
    columns += [sa.func.avg(column).label(name) for name, column in figures.means.items()]
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        for name, column in figures.spreads.items():
            columns.append(sa.func.count(column).label(f"{name}__count"))
            for part, fraction in FRACTIONS.items():
                percentile = sa.func.percentile_cont(fraction).within_group(column)
                columns.append(percentile.label(f"{name}__{part}"))
    query = sa.select(*columns).group_by(key)
    if where is not None:
        query = query.where(where)
    rows = []
    for found in db.session.execute(query).mappings():
        row = empty_row(found["key"], figures)
        row |= {name: int(found[name] or 0) for name in figures.counts}
        row |= {name: _rounded_mean(found[name]) for name in figures.means}
        if postgresql:
            row |= {name: _spread_of(found, name) for name in figures.spreads}
        rows.append(row)
    if not postgresql:
        for name, column in figures.spreads.items():
            spreads = _spreads_in_python(key, column, where)
            for row in rows:
                row[name] = spreads.get(row["key"], Spread())
    return rows


def _spread_of(found, name: str) -> Spread:
    count = found[f"{name}__count"]
    if not count:
        return Spread()
    return Spread(count, _whole(found[f"{name}__median"]), _whole(found[f"{name}__p90"]))


def _spreads_in_python(key, column, where) -> dict:
    query = sa.select(key, column).where(column.is_not(None)).order_by(key, column)
    if where is not None:
        query = query.where(where)
    values = defaultdict(list)
    for group, value in db.session.execute(query):
        values[group].append(value)
    return {group: spread(found) for group, found in values.items()}


def spread(values: list[float]) -> Spread:
    values = sorted(values)
    if not values:
        return Spread()
    return Spread(len(values), _whole(percentile(values, 0.5)), _whole(percentile(values, 0.9)))


def percentile(ordered: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont over values already in order."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _whole(seconds) -> int | None:
    # Half a second up, not to even: the same on both databases' floats.
    return None if seconds is None else math.floor(float(seconds) + 0.5)


def _rounded_mean(value) -> float | None:
    return None if value is None else round(float(value), 2)


def as_date(value) -> date:
    """SQL date() is a date on PostgreSQL and text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
