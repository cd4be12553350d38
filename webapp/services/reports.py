"""Rapporter (#16 item 2): per queue, per agent and per day over a period,
for admins and supervisors. The facts live in the event log and the seats:

- a wait starts with a `requested` or `transferred_to_acd` event (its data
  names the queue) and ends with the session's next `offer_accepted` (an
  agent took it: time to answer) or `ended` (nobody did: abandoned);
- handle time is a staff seat's time in the session (joined to left); for a
  queue, the answering agent's seat from the answer to its leaving;
- a transfer is a seat that left with the reason `transferred`;
- satisfaction is the customers' mean rating (1-5) of a session, counted
  for the queue that answered it and for every agent who had a seat in it.

Counts are summed in SQL on both databases. Medians and 90th percentiles are
`percentile_cont` on PostgreSQL and the same interpolation in Python over one
narrow column on SQLite (`statistics.py`), so both give the same figures."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    Participant,
    ParticipantRole,
    Queue,
    SessionEvent,
    SessionRating,
    SupportSession,
    User,
)
from webapp.models.reasons import EndReason
from webapp.services import history, statistics
from webapp.services.errors import ServiceError
from webapp.services.statistics import Figures

DEFAULT_DAYS = 30
MAX_DAYS = 366
WAIT_STARTS = ("requested", "transferred_to_acd")
WAIT_ENDS = ("offer_accepted", "ended")
# How long after the period a wait's end is looked for: a queue's wait is
# minutes, and the bound keeps an old period from reading every later event.
OUTCOME_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date
    queue_id: int | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time())

    @property
    def end(self) -> datetime:
        """The first moment after the period (its last day is included)."""
        return datetime.combine(self.date_to + timedelta(days=1), time())

    @property
    def days(self) -> list[date]:
        count = (self.date_to - self.date_from).days + 1
        return [self.date_from + timedelta(days=n) for n in range(count)]

    def as_args(self) -> dict:
        args = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.queue_id:
            args["queue"] = self.queue_id
        return args


def default_period(today: date) -> Period:
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse(args, today: date) -> Period:
    """The period from the URL: the last 30 days unless both ends are given."""
    default = default_period(today)
    date_from = history.parse_date(args.get("from", ""), "from") or default.date_from
    date_to = history.parse_date(args.get("to", ""), "to") or default.date_to
    if date_from > date_to:
        raise ServiceError(_l("The first date must come before the last."), 400, field="to")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ServiceError(_l("Choose a period of at most 366 days."), 400, field="from")
    return Period(date_from, date_to, history.parse_queue(args.get("queue", "")))


def require_reader(user: User) -> None:
    """Reports show everyone's work: for those who see every session."""
    if not history.sees_all(user):
        raise ServiceError(_l("Only an administrator or a supervisor can see the reports."), 403)


def _rating_of(support_session_id) -> sa.ScalarSelect:
    """The session's mean rating by its customers, or NULL if none rated."""
    return (
        sa.select(sa.func.avg(SessionRating.score))
        .where(SessionRating.support_session_id == support_session_id)
        .scalar_subquery()
    )


def _waits(period: Period) -> sa.Subquery:
    """One row per wait that began in the period: its queue, when it began,
    how long until an agent took it, whether it was abandoned, and the
    answering agent's seat and handle time."""
    event = SessionEvent
    order = {"partition_by": event.support_session_id, "order_by": event.seq}
    steps = (
        sa.select(
            event.support_session_id,
            event.kind,
            event.created_at,
            # Parsed for the starts only: the JSON of every end would be waste.
            sa.case((event.kind.in_(WAIT_STARTS), event.data["queue_id"].as_integer())).label(
                "queue_id"
            ),
            sa.func.lead(event.kind).over(**order).label("next_kind"),
            sa.func.lead(event.created_at).over(**order).label("next_at"),
            sa.func.lead(event.participant_id).over(**order).label("next_seat"),
        )
        .where(
            event.kind.in_(WAIT_STARTS + WAIT_ENDS),
            event.created_at >= period.start,
            event.created_at < period.end + OUTCOME_SLACK,
        )
        .subquery()
    )
    answered = steps.c.next_kind == "offer_accepted"
    # The answering seat by its key, row by row: a join would make PostgreSQL
    # hash every seat ever (200,000 rows) for a month's few thousand waits.
    seat = so.aliased(Participant)
    of_seat = sa.and_(answered, seat.id == steps.c.next_seat)
    agent_id = sa.select(seat.user_id).where(of_seat).scalar_subquery()
    left_at = sa.select(seat.left_at).where(of_seat).scalar_subquery()
    wait = statistics.seconds_between(steps.c.next_at, steps.c.created_at)
    query = sa.select(
        steps.c.support_session_id,
        steps.c.queue_id,
        steps.c.created_at.label("queued_at"),
        agent_id.label("agent_id"),
        (steps.c.kind == "transferred_to_acd").label("transferred_in"),
        answered.label("answered"),
        (steps.c.next_kind == "ended").label("abandoned"),
        sa.case((answered, wait)).label("wait"),
        statistics.seconds_between(left_at, steps.c.next_at).label("handle"),
        sa.case((answered, _rating_of(steps.c.support_session_id))).label("rating"),
    ).where(steps.c.kind.in_(WAIT_STARTS), steps.c.created_at < period.end)
    if period.queue_id:
        query = query.where(steps.c.queue_id == period.queue_id)
    return query.subquery()


def _seats(period: Period) -> sa.Subquery:
    """One row per staff seat that began in the period."""
    query = sa.select(
        Participant.support_session_id,
        Participant.user_id.label("agent_id"),
        statistics.seconds_between(Participant.left_at, Participant.joined_at).label("handle"),
        (Participant.left_reason == EndReason.TRANSFERRED).label("transferred"),
        _rating_of(Participant.support_session_id).label("rating"),
    ).where(
        Participant.user_id.is_not(None),
        Participant.role != ParticipantRole.CUSTOMER,
        Participant.joined_at >= period.start,
        Participant.joined_at < period.end,
    )
    if period.queue_id:
        on = SupportSession.id == Participant.support_session_id
        query = query.join(SupportSession, on).where(SupportSession.queue_id == period.queue_id)
    return query.subquery()


@dataclass(frozen=True)
class Column:
    """A column of a report, on the page and in its CSV: "text", "date",
    "count", "mean" (one cell each) or "spread" (a median and a 90th
    percentile of seconds)."""

    kind: str
    title: object
    key: str


TIME_TO_ANSWER, HANDLE_TIME = _l("Time to answer"), _l("Handle time")

# What each table shows, in order. Adding a figure is a Column here and its
# aggregate in the figures below; the page, the CSV and both databases follow.
SATISFACTION = (
    Column("mean", _l("Rating (1-5)"), "rating"),
    Column("count", _l("Rated"), "ratings"),
)
QUEUE_COLUMNS = (
    Column("text", _l("Queue"), "name"),
    Column("count", _l("Sessions"), "sessions"),
    Column("count", _l("Requests"), "waits"),
    Column("count", _l("Answered"), "answered"),
    Column("count", _l("Abandoned"), "abandoned"),
    Column("count", _l("Transferred here"), "transferred_in"),
    Column("spread", TIME_TO_ANSWER, "wait"),
    Column("spread", HANDLE_TIME, "handle"),
    *SATISFACTION,
)
AGENT_COLUMNS = (
    Column("text", _l("Agent"), "name"),
    Column("count", _l("Sessions"), "sessions"),
    Column("count", _l("Answered"), "answered"),
    Column("count", _l("Transfers"), "transfers"),
    Column("spread", TIME_TO_ANSWER, "wait"),
    Column("spread", HANDLE_TIME, "handle"),
    *SATISFACTION,
)
DAY_COLUMNS = (
    Column("date", _l("Date"), "key"),
    Column("count", _l("Sessions"), "sessions"),
    Column("count", _l("Requests"), "waits"),
    Column("count", _l("Answered"), "answered"),
    Column("count", _l("Abandoned"), "abandoned"),
    Column("spread", TIME_TO_ANSWER, "wait"),
)


def _queue_figures(waits: sa.Subquery) -> Figures:
    return Figures(
        counts={
            "sessions": sa.func.count(sa.distinct(waits.c.support_session_id)),
            "waits": sa.func.count(),
            "answered": statistics.count_if(waits.c.answered),
            "abandoned": statistics.count_if(waits.c.abandoned),
            "transferred_in": statistics.count_if(waits.c.transferred_in),
            "ratings": sa.func.count(waits.c.rating),
        },
        spreads={"wait": waits.c.wait, "handle": waits.c.handle},
        means={"rating": waits.c.rating},
    )


def _day_figures(waits: sa.Subquery) -> Figures:
    # No handle time per day: PostgreSQL then skips looking up each seat.
    return Figures(
        counts={
            "waits": sa.func.count(),
            "answered": statistics.count_if(waits.c.answered),
            "abandoned": statistics.count_if(waits.c.abandoned),
        },
        spreads={"wait": waits.c.wait},
    )


def _agent_figures(seats: sa.Subquery) -> Figures:
    return Figures(
        counts={
            "sessions": sa.func.count(sa.distinct(seats.c.support_session_id)),
            "transfers": statistics.count_if(seats.c.transferred),
            "ratings": sa.func.count(seats.c.rating),
        },
        spreads={"handle": seats.c.handle},
        means={"rating": seats.c.rating},
    )


def by_queue(period: Period) -> list[dict]:
    waits = _waits(period)
    rows = statistics.grouped(waits.c.queue_id, _queue_figures(waits))
    names = dict(db.session.execute(sa.select(Queue.id, Queue.name)).all())
    for row in rows:
        # A session transferred to chosen agents waited in no queue.
        row["name"] = names.get(row["key"]) or str(_l("Chosen agents"))
    return sorted(rows, key=lambda row: (row["key"] is None, row["name"].lower()))


def by_agent(period: Period) -> list[dict]:
    seats = _seats(period)
    rows = {row["key"]: row for row in statistics.grouped(seats.c.agent_id, _agent_figures(seats))}
    waits = _waits(period)
    answers = statistics.grouped(
        waits.c.agent_id,
        Figures(counts={"answered": sa.func.count()}, spreads={"wait": waits.c.wait}),
        where=waits.c.answered,
    )
    for answer in answers:
        rows.setdefault(answer["key"], statistics.empty_row(answer["key"], _agent_figures(seats)))
        rows[answer["key"]].update({k: v for k, v in answer.items() if k != "key"})
    names = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(rows))).all())
    for row in rows.values():
        row.setdefault("answered", 0)
        row.setdefault("wait", statistics.Spread())
        row["name"] = names.get(row["key"], "")
    return sorted(rows.values(), key=lambda row: row["name"].lower())


def by_day(period: Period) -> list[dict]:
    """Every day of the period, the quiet ones too: a chart needs them.
    "sessions" here are the sessions started that day; the rest is the
    waits that began that day."""
    created = sa.select(
        sa.func.date(SupportSession.created_at).label("day"), SupportSession.id
    ).where(SupportSession.created_at >= period.start, SupportSession.created_at < period.end)
    if period.queue_id:
        created = created.where(SupportSession.queue_id == period.queue_id)
    created = created.subquery()
    started = {
        statistics.as_date(row["key"]): row["sessions"]
        for row in statistics.grouped(created.c.day, Figures(counts={"sessions": sa.func.count()}))
    }
    waits = _waits(period)
    figures = _day_figures(waits)
    waited = {
        statistics.as_date(row["key"]): row
        for row in statistics.grouped(sa.func.date(waits.c.queued_at), figures)
    }
    rows = []
    for day in period.days:
        row = waited.get(day) or statistics.empty_row(day, figures)
        row.update(key=day, sessions=started.get(day, 0))
        rows.append(row)
    return rows


TABLES = {
    "queues": (by_queue, QUEUE_COLUMNS),
    "agents": (by_agent, AGENT_COLUMNS),
    "days": (by_day, DAY_COLUMNS),
}
