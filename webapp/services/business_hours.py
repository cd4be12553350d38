"""A queue's business hours (#17 item 4): when customers may ask for help in
it and sessions may be transferred to it.

Hours are wall-clock times in the queue's IANA time zone, one interval per
weekday, so a queue open 08:00-17:00 stays open 08:00-17:00 local time on
both sides of a daylight saving change. An interval ends on the day it
starts: a queue open past midnight is entered as two days (…-24:00 and
00:00-…), which the admin page says when it refuses a close before an open.
A queue with no time zone keeps no hours and is always open.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_day_names
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Queue, QueueHours
from webapp.services.errors import ServiceError

DAY = 24 * 60
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


@dataclass(frozen=True)
class DayHours:
    """What the admin typed for one weekday; both empty means closed."""

    opens: str = ""
    closes: str = ""


def weekday_name(weekday: int) -> str:
    """Monday is 0, in the current locale ("måndag", "Monday")."""
    return get_day_names("wide", locale=get_locale() or "en")[weekday]


def day_heading(weekday: int) -> str:
    """The weekday as an error message starts with it ("Tisdag: …")."""
    return weekday_name(weekday).capitalize()


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_clock(text: str, weekday: int, closing: bool = False) -> int:
    """HH:MM to minutes after midnight; 24:00 only as a closing time."""
    match = _TIME.fullmatch(text.strip())
    minutes = int(match[1]) * 60 + int(match[2]) if match else -1
    if not match or int(match[2]) > 59 or minutes > DAY or (minutes == DAY and not closing):
        raise ServiceError(
            _l(
                "%(day)s: write times as HH:MM, for example 08:00 (%(text)s is not a time).",
                day=LazyString(day_heading, weekday),
                text=text.strip(),
            ),
            400,
            field="hours",
        )
    return minutes


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA names, for the admin page's suggestions; reading them walks the tz database."""
    return tuple(sorted(available_timezones()))


def check_time_zone(name: str) -> str:
    name = name.strip()
    if not name:
        raise ServiceError(
            _l("Choose a time zone, for example Europe/Stockholm."), 400, field="hours"
        )
    if name not in time_zones():
        raise ServiceError(
            _l("%(zone)s is not a time zone we know. Write it like Europe/Stockholm.", zone=name),
            400,
            field="hours",
        )
    return name


def set_hours(queue: Queue, time_zone: str, days: dict[int, DayHours]) -> None:
    """Replaces the queue's hours; a bad zone or time changes nothing."""
    zone = check_time_zone(time_zone)
    rows = []
    for weekday in range(7):
        day = days.get(weekday, DayHours())
        if not day.opens.strip() and not day.closes.strip():
            continue  # closed that day
        opens = parse_clock(day.opens, weekday)
        closes = parse_clock(day.closes, weekday, closing=True)
        if closes <= opens:
            raise ServiceError(
                _l(
                    "%(day)s: the queue must close after it opens. For hours past midnight, "
                    "close at 24:00 and open at 00:00 the next day.",
                    day=LazyString(day_heading, weekday),
                ),
                400,
                field="hours",
            )
        rows.append(QueueHours(weekday=weekday, opens=opens, closes=closes))
    queue.time_zone = zone
    queue.hours = rows
    db.session.commit()


def clear_hours(queue: Queue) -> None:
    """The queue keeps no hours again: always open."""
    queue.time_zone = None
    queue.hours = []
    db.session.commit()


def _by_day(queue: Queue) -> dict[int, QueueHours]:
    return {row.weekday: row for row in queue.hours}


def is_open(queue: Queue, now: datetime) -> bool:
    """`now` is naive UTC, like every time the app stores."""
    if queue.time_zone is None:
        return True
    local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(queue.time_zone))
    row = _by_day(queue).get(local.weekday())
    minute = local.hour * 60 + local.minute
    return row is not None and row.opens <= minute < row.closes


def next_opening(queue: Queue, now: datetime) -> datetime | None:
    """The next moment the queue opens, aware in the queue's zone; None for
    a queue that keeps hours but is open on no day."""
    zone = ZoneInfo(queue.time_zone)
    moment = now.replace(tzinfo=UTC)
    today = moment.astimezone(zone).date()
    by_day = _by_day(queue)
    for ahead in range(8):  # today's opening may have passed: the same weekday next week
        day: date = today + timedelta(days=ahead)
        row = by_day.get(day.weekday())
        if row is None:
            continue
        wall = datetime.combine(day, time(row.opens // 60, row.opens % 60), tzinfo=zone)
        # A time that does not exist on a spring-forward day (02:30) is the
        # moment an hour later on the clock (03:30).
        opening = wall.astimezone(UTC).astimezone(zone)
        if opening > moment:
            return opening
    return None


def closed_message(queue: Queue, now: datetime):
    opening = next_opening(queue, now)
    if opening is None:
        return _l("The queue %(name)s is closed.", name=queue.name)
    return _l(
        "The queue %(name)s is closed. It opens %(day)s %(time)s (%(zone)s time).",
        name=queue.name,
        day=LazyString(weekday_name, opening.weekday()),
        time=opening.strftime("%H:%M"),
        zone=queue.time_zone,
    )


def check_open(queue: Queue, now: datetime) -> None:
    """Refuses a request or a transfer while the queue is closed."""
    if not is_open(queue, now):
        raise ServiceError(closed_message(queue, now), 409, field="queue")


def week(queue: Queue) -> list[tuple[str, str, str]]:
    """(weekday, opens, closes) for the admin page, in the current locale;
    a closed day has empty times."""
    by_day = _by_day(queue)
    return [
        (
            weekday_name(weekday),
            clock(by_day[weekday].opens) if weekday in by_day else "",
            clock(by_day[weekday].closes) if weekday in by_day else "",
        )
        for weekday in range(7)
    ]
