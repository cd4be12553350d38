"""Rapporter (#16 item 2) through the pages: exact figures on a small world
built by hand (the same on SQLite and PostgreSQL), who may see them, every
bad input a clear 400, and the CSV exports with their formula guard."""

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import make_agent, make_customer, make_rep, make_support_session
from webapp.extensions import db
from webapp.models import Participant, ParticipantRole, SessionRating, SessionState
from webapp.models.base import utcnow
from webapp.models.reasons import EndReason
from webapp.services import audit, queues, sessions

DAY = datetime(2026, 11, 10, 9, 0)
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def other_client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": "password123"})
    assert response.status_code == 302
    return client


class Clock:
    """The event log's clock, moved by hand: its rows cannot be edited later."""

    def __init__(self, monkeypatch):
        self.now = DAY
        monkeypatch.setattr(audit, "utcnow", lambda: self.now)

    def at(self, moment):
        self.now = moment
        return self


def asked(clock, queue, customer, at):
    support_session = sessions.add_numbered_session(
        state=SessionState.QUEUED, queue_id=queue.id, created_at=at
    )
    seat = Participant(
        support_session=support_session, role=ParticipantRole.CUSTOMER, name=customer, joined_at=at
    )
    db.session.add(seat)
    db.session.flush()
    clock.at(at)
    audit.append(support_session, "requested", seat.id, {"queue_id": queue.id})
    db.session.commit()
    return support_session


def taken(clock, support_session, agent, at, left_at, reason=EndReason.SESSION_ENDED):
    seat = Participant(
        support_session=support_session,
        role=ParticipantRole.REP,
        user=agent,
        name=agent.name,
        joined_at=at,
        left_at=left_at,
        left_reason=reason,
    )
    db.session.add(seat)
    db.session.flush()
    clock.at(at)
    audit.append(support_session, "offer_accepted", seat.id, {"queue_id": support_session.queue_id})
    db.session.commit()
    return seat


def ended(clock, support_session, at, reason=EndReason.ENDED_BY_REP):
    clock.at(at)
    audit.append(support_session, "ended", None, {"reason": reason})
    support_session.state, support_session.ended_at, support_session.end_reason = (
        SessionState.ENDED,
        at,
        reason,
    )
    db.session.commit()


@pytest.fixture
def world(app, monkeypatch):
    """Kö Skrivare: three requests Anna took after 10, 20 and 60 s and
    handled for 100, 200 and 300 s, and one abandoned after 30 s; the third
    Anna transferred to Kö Nätverk, where Bo took it after 40 s for 50 s."""
    clock = Clock(monkeypatch)
    printers, network = queues.create_queue("Kö Skrivare"), queues.create_queue("Kö Nätverk")
    anna, bo = make_agent("Anna Agent"), make_agent("Bo Bengtsson")
    s = lambda n: timedelta(seconds=n)  # noqa: E731
    for n, (wait, handle) in enumerate([(10, 100), (20, 200)]):
        start = DAY + timedelta(hours=n)
        one = asked(clock, printers, f"Kund {n}", start)
        taken(clock, one, anna, start + s(wait), start + s(wait + handle))
        ended(clock, one, start + s(wait + handle))
    third = asked(clock, printers, '=HYPERLINK("http://x")', DAY + timedelta(hours=3))
    start = DAY + timedelta(hours=3)
    taken(clock, third, anna, start + s(60), start + s(360), EndReason.TRANSFERRED)
    clock.at(start + s(360))
    audit.append(third, "transferred_to_acd", None, {"queue_id": network.id})
    third.queue_id = network.id
    db.session.commit()
    taken(clock, third, bo, start + s(400), start + s(450))
    ended(clock, third, start + s(450))
    gone = asked(clock, printers, "Åsa Öberg", DAY + timedelta(hours=4))
    ended(clock, gone, DAY + timedelta(hours=4, seconds=30), EndReason.ABANDONED)
    return printers, network, anna, bo


def cells(page: str, row_title: str) -> list[str]:
    """The cells of the table row whose first cell is `row_title`."""
    start = page.index(f'<th scope="row">{row_title}</th>')
    row = page[start : page.index("</tr>", start)]
    return [part.split("<")[0].strip() for part in row.split('class="num">')[1:]]


def rated(customer_name: str, score: int) -> None:
    seat = db.session.scalar(sa.select(Participant).where(Participant.name == customer_name))
    db.session.add(
        SessionRating(
            support_session_id=seat.support_session_id, participant_id=seat.id, score=score
        )
    )
    db.session.commit()


def test_the_figures_per_queue_agent_and_day_are_exact(app, world):
    # Kund 0 (Anna's) gives 5; the transferred customer (Anna's, then Bo's) gives 3.
    rated("Kund 0", 5)
    rated('=HYPERLINK("http://x")', 3)
    client = other_client(app, make_rep("Siv Supervisor", "supervisor"))
    page = client.get("/reports/", query_string=NOVEMBER).text
    assert "Rapporter" in page and "Per kö" in page and "Per agent" in page
    # Sessions, requests, answered, abandoned, transferred here, then the
    # time to answer (median, p90), the handle time (median, p90), and the
    # mean rating of the answered sessions with how many were rated.
    assert cells(page, "Kö Skrivare") == [
        "4", "4", "3", "1", "0", "20 s", "52 s", "3 min 20 s", "4 min 40 s", "4,0", "2"
    ]  # fmt: skip
    assert cells(page, "Kö Nätverk") == [
        "1", "1", "1", "0", "1", "40 s", "40 s", "50 s", "50 s", "3,0", "1"
    ]  # fmt: skip
    assert cells(page, "Anna Agent") == [
        "3", "3", "1", "20 s", "52 s", "3 min 20 s", "4 min 40 s", "4,0", "2"
    ]  # fmt: skip
    assert cells(page, "Bo Bengtsson") == [
        "1",
        "1",
        "0",
        "40 s",
        "40 s",
        "50 s",
        "50 s",
        "3,0",
        "1",
    ]
    # The day: 4 sessions started, 5 waits, 4 answered after 10 20 40 60 s, 1 abandoned.
    assert cells(page, "2026-11-10") == ["4", "5", "4", "1", "30 s", "54 s"]
    assert cells(page, "2026-11-11") == ["0", "0", "0", "0", "\u2013", "\u2013"]
    # Two charts with a bar per busy day, each described by the table.
    assert page.count('<svg class="bars"') == 2 and page.count('<rect class="bar"') == 2
    assert "Sessioner per dag" in page and 'aria-describedby="chart-sessions-desc"' in page


def test_a_queue_narrows_the_report(app, world):
    _printers, network, *_ = world
    client = other_client(app, make_rep("Ada Admin", "admin"))
    page = client.get("/reports/", query_string=NOVEMBER | {"queue": network.id}).text
    assert "Kö Nätverk" in page and '<th scope="row">Kö Skrivare</th>' not in page
    assert cells(page, "Bo Bengtsson")[:2] == ["1", "1"]


def test_english(app, world):
    rated("Kund 0", 4)
    client = other_client(app, make_rep("Siv Supervisor", "supervisor"))
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/reports/", query_string=NOVEMBER).text
    for text in ("Reports", "Per queue", "Per agent", "Time to answer", "Handle time", "Abandoned"):
        assert text in page
    assert "Sessions per day" in page and "Download CSV" in page
    assert "Rating (1-5)" in page and cells(page, "Anna Agent")[-2:] == ["4.0", "1"]


def test_the_default_period_is_the_last_30_days(app, world):
    client = other_client(app, make_rep("Siv Supervisor", "supervisor"))
    page = client.get("/reports/").text
    today = utcnow().date()
    assert page.count('<th scope="row">20') == 30  # a row per day
    assert f'value="{today.isoformat()}"' in page
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in page


def test_reps_and_agents_are_refused(app, world):
    _printers, _network, anna, _bo = world
    for user in (make_rep("Rut Rep"), anna):
        client = other_client(app, user)
        for path in ("/reports/", "/reports/queues.csv"):
            response = client.get(path)
            assert response.status_code == 403
            assert "Bara en administratör eller en arbetsledare" in response.text
        assert "/reports/" not in client.get("/history/").text  # not in the menu either
    assert app.test_client().get("/reports/").status_code == 302  # to the login


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from": "3 december"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"to": "2026-02-30"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"from": "2026-12-03", "to": "2026-12-01"}, "Det första datumet måste komma före"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "högst 366 dagar"),
        ({"queue": "999"}, "Det finns ingen sådan kö."),
        ({"queue": "9" * 40}, "Det finns ingen sådan kö."),
    ],
)
def test_bad_input_is_a_clear_400(app, world, args, message):
    client = other_client(app, make_rep("Siv Supervisor", "supervisor"))
    page = client.get("/reports/", query_string=args)
    assert page.status_code == 400 and message in page.text and 'role="alert"' in page.text
    export = client.get("/reports/agents.csv", query_string=args)
    assert export.status_code == 400 and message in export.text


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # Excel reads UTF-8 then
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_each_report_as_csv(app, world):
    rated("Kund 1", 4)
    client = other_client(app, make_rep("Siv Supervisor", "supervisor"))
    response = client.get("/reports/queues.csv", query_string=NOVEMBER)
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="report-queues-2026-11-01-2026-11-30.csv"'
    rows = read_csv(response)
    assert rows[0][:3] == ["Kö", "Sessioner", "Förfrågningar"]
    assert rows[0][6] == "Tid till svar, median (s)"
    assert rows[0][-2:] == ["Betyg (1-5)", "Betygsatta"]
    assert ["Kö Skrivare", "4", "4", "3", "1", "0", "20", "52", "200", "280", "4.0", "1"] in rows
    assert ["Kö Nätverk", "1", "1", "1", "0", "1", "40", "40", "50", "50", "", "0"] in rows
    agents = read_csv(client.get("/reports/agents.csv", query_string=NOVEMBER))
    assert ["Anna Agent", "3", "3", "1", "20", "52", "200", "280", "4.0", "1"] in agents
    days = read_csv(client.get("/reports/days.csv", query_string=NOVEMBER))
    assert len(days) == 31 and ["2026-11-10", "4", "5", "4", "1", "30", "54"] in days
    assert client.get("/reports/nothing.csv").status_code == 404


def test_the_history_search_as_csv_keeps_its_filters_and_disarms_formulas(app, world):
    client = other_client(app, make_rep("Siv Supervisor", "supervisor"))
    client.post("/language", data={"locale": "en", "next": "/"})
    rows = read_csv(client.get("/history/export.csv", query_string={"staff": "anna"}))
    assert rows[0] == [
        "Session number", "Started (UTC)", "Ended (UTC)", "State", "Queue", "Customers", "Staff"
    ]  # fmt: skip
    assert len(rows) == 1 + 3  # Anna's three sessions, not Åsa's abandoned one
    # A name that is a formula stays text in a spreadsheet.
    guarded = [row for row in rows if "HYPERLINK" in row[5]]
    assert guarded[0][5] == '\'=HYPERLINK("http://x")'
    assert guarded[0][4] == "Kö Nätverk" and guarded[0][6] == "Anna Agent, Bo Bengtsson"
    everything = read_csv(client.get("/history/export.csv"))
    assert "Åsa Öberg" in {row[5] for row in everything}
    bad = client.get("/history/export.csv", query_string={"from": "igår"})
    assert bad.status_code == 400 and "Write the date as YYYY-MM-DD" in bad.text


def test_the_history_csv_is_every_match_for_a_rep_only_their_own(app):
    rut, helge = make_rep("Rut Rep"), make_rep("Helge Hjälpare")
    rut.customer_cap = 100
    for _ in range(30):  # more than one page of the search
        support_session, _seat = make_support_session(rut)
        make_customer(support_session, "+46 70 123")
    make_support_session(helge)
    client = other_client(app, rut)
    assert "Ladda ned CSV" in client.get("/history/").text
    rows = read_csv(client.get("/history/export.csv"))
    assert len(rows) == 1 + 30 and {row[6] for row in rows[1:]} == {"Rut Rep"}
    assert {row[5] for row in rows[1:]} == {"'+46 70 123"}
