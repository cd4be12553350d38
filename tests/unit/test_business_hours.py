"""A queue's business hours (#17 item 4): open or closed at given instants,
across time zones and daylight saving, and when it opens next."""

from datetime import datetime

import pytest
from flask_babel import force_locale

from tests.factories import agent_session, make_agent
from webapp.extensions import db
from webapp.models import QueueHours, SessionState
from webapp.services import acd_transfer, business_hours, queues
from webapp.services.business_hours import DayHours
from webapp.services.errors import ServiceError

WEEKDAYS = {weekday: DayHours("08:00", "17:00") for weekday in range(5)}


def office_queue(zone="Europe/Stockholm", days=None, name="Kundtjänst"):
    queue = queues.create_queue(name, [make_agent().email])
    business_hours.set_hours(queue, zone, WEEKDAYS if days is None else days)
    return queue


def utc(*parts):
    return datetime(*parts)


def test_a_queue_without_hours_is_always_open(app):
    queue = queues.create_queue("Q")
    assert business_hours.is_open(queue, utc(2026, 12, 6, 3, 0))  # a Sunday night


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 12, 3, 6, 59), False),  # Thursday 07:59 in Stockholm (UTC+1)
        (utc(2026, 12, 3, 7, 0), True),  # 08:00
        (utc(2026, 12, 3, 15, 59), True),  # 16:59
        (utc(2026, 12, 3, 16, 0), False),  # 17:00: closed on the minute it closes
        (utc(2026, 12, 5, 10, 0), False),  # Saturday
        (utc(2026, 7, 2, 6, 0), True),  # summer, UTC+2: 08:00 local
        (utc(2026, 7, 2, 15, 0), False),  # summer: 17:00 local
    ],
)
def test_open_follows_the_wall_clock_of_the_queues_zone(app, moment, expected):
    assert business_hours.is_open(office_queue(), moment) is expected


def test_the_same_instant_is_open_in_one_zone_and_closed_in_another(app):
    stockholm = office_queue()
    new_york = office_queue("America/New_York", name="US")
    moment = utc(2026, 12, 3, 9, 0)  # 10:00 in Stockholm, 04:00 in New York
    assert business_hours.is_open(stockholm, moment)
    assert not business_hours.is_open(new_york, moment)


def test_hours_stay_local_across_the_daylight_saving_change(app):
    queue = office_queue()
    # Clocks go forward on Sunday 29 March 2026: 08:00 is 07:00 UTC the
    # Friday before and 06:00 UTC the Monday after.
    assert business_hours.is_open(queue, utc(2026, 3, 27, 7, 0))
    assert not business_hours.is_open(queue, utc(2026, 3, 30, 5, 59))
    assert business_hours.is_open(queue, utc(2026, 3, 30, 6, 0))
    opening = business_hours.next_opening(queue, utc(2026, 3, 27, 17, 0))
    assert (opening.weekday(), opening.hour, opening.minute) == (0, 8, 0)
    assert opening.utcoffset().total_seconds() == 2 * 3600


def test_an_opening_in_the_skipped_hour_is_the_moment_after_it(app):
    queue = office_queue(days={6: DayHours("02:30", "05:00")})
    opening = business_hours.next_opening(queue, utc(2026, 3, 28, 12, 0))
    assert (opening.day, opening.hour, opening.minute) == (29, 3, 30)


def test_next_opening_is_later_today_next_weekday_or_next_week(app):
    queue = office_queue(days={0: DayHours("08:00", "17:00"), 3: DayHours("12:00", "13:00")})
    thursday_morning = business_hours.next_opening(queue, utc(2026, 12, 3, 8, 0))
    assert (thursday_morning.day, thursday_morning.hour) == (3, 12)
    after_thursday = business_hours.next_opening(queue, utc(2026, 12, 3, 12, 30))
    assert (after_thursday.day, after_thursday.hour) == (7, 8)  # Monday
    monday_evening = business_hours.next_opening(queue, utc(2026, 12, 7, 17, 0))
    assert (monday_evening.day, monday_evening.hour) == (10, 12)


def test_a_queue_open_past_midnight_is_two_days(app):
    queue = office_queue(days={4: DayHours("20:00", "24:00"), 5: DayHours("00:00", "02:00")})
    assert business_hours.is_open(queue, utc(2026, 12, 4, 22, 59))  # Friday 23:59
    assert business_hours.is_open(queue, utc(2026, 12, 4, 23, 30))  # Saturday 00:30
    assert not business_hours.is_open(queue, utc(2026, 12, 5, 1, 0))  # Saturday 02:00


def test_the_closed_message_names_the_day_time_and_zone_in_the_viewers_language(app):
    queue = office_queue()
    saturday = utc(2026, 12, 5, 10, 0)
    with force_locale("sv"):
        assert str(business_hours.closed_message(queue, saturday)) == (
            "Kön Kundtjänst är stängd. Den öppnar måndag 08:00 (tidszon Europe/Stockholm)."
        )
    with force_locale("en"):
        assert str(business_hours.closed_message(queue, saturday)) == (
            "The queue Kundtjänst is closed. It opens Monday 08:00 (Europe/Stockholm time)."
        )


def test_a_queue_open_on_no_day_is_closed_without_an_opening(app):
    queue = office_queue(days={})
    assert not business_hours.is_open(queue, utc(2026, 12, 3, 10, 0))
    with force_locale("en"):
        assert str(business_hours.closed_message(queue, utc(2026, 12, 3, 10, 0))) == (
            "The queue Kundtjänst is closed."
        )


@pytest.mark.parametrize(
    ("zone", "days", "words"),
    [
        ("Europe/Stokholm", WEEKDAYS, "Europe/Stokholm is not a time zone we know"),
        ("", WEEKDAYS, "Choose a time zone"),
        ("Europe/Stockholm", {1: DayHours("17:00", "08:00")}, "Tuesday: the queue must close"),
        ("Europe/Stockholm", {2: DayHours("9", "17:00")}, "Wednesday: write times as HH:MM"),
        ("Europe/Stockholm", {2: DayHours("08:00", "")}, "Wednesday: write times as HH:MM"),
        ("Europe/Stockholm", {2: DayHours("08:61", "17:00")}, "write times as HH:MM"),
        ("Europe/Stockholm", {2: DayHours("24:00", "24:00")}, "write times as HH:MM"),
        ("Europe/Stockholm", {2: DayHours("08:00", "25:00")}, "write times as HH:MM"),
    ],
)
def test_bad_hours_are_refused_and_change_nothing(app, zone, days, words):
    queue = office_queue()
    with pytest.raises(ServiceError) as refused:
        business_hours.set_hours(queue, zone, days)
    with force_locale("en"):
        assert words in str(refused.value.message)
    db.session.rollback()
    db.session.refresh(queue)
    assert queue.time_zone == "Europe/Stockholm"
    assert [(row.weekday, row.opens, row.closes) for row in queue.hours] == [
        (weekday, 8 * 60, 17 * 60) for weekday in range(5)
    ]


def test_clearing_the_hours_opens_the_queue_for_good(app):
    queue = office_queue(days={})
    business_hours.clear_hours(queue)
    assert queue.time_zone is None
    assert db.session.query(QueueHours).count() == 0
    assert business_hours.is_open(queue, utc(2026, 12, 6, 3, 0))


def test_a_closed_queue_refuses_requests_and_transfers(app):
    queue = office_queue(days={})
    with pytest.raises(ServiceError) as refused:
        acd_transfer.request_help(queue.id, "Kim", "kim@example.com", "Skrivaren")
    assert refused.value.status == 409
    support_session, seat = agent_session()
    with pytest.raises(ServiceError):
        acd_transfer.transfer_to_queue(seat, queue.id, None)
    db.session.rollback()
    assert db.session.get(type(support_session), support_session.id).state == SessionState.ACTIVE
