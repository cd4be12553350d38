"""Two requests at once on real, separate connections (DESIGN.md: one winner).

On PostgreSQL (TEST_DATABASE_URL) these are truly concurrent transactions.
"""

import sqlalchemy as sa

from tests.factories import make_support_session
from tests.helpers import run_together
from webapp.extensions import db
from webapp.models import Participant, SessionEvent, SupportSession
from webapp.services import sessions


def test_two_ends_at_once_record_one_end(app):
    support_session, rep_seat = make_support_session()
    support_session_id, rep_seat_id = support_session.id, rep_seat.id

    def end():
        sessions.end_session(db.session.get(Participant, rep_seat_id))
        return "ended"

    outcomes = run_together(app, end, end)
    assert "ended" in outcomes
    ends = db.session.scalar(
        sa.select(sa.func.count(SessionEvent.id)).where(
            SessionEvent.support_session_id == support_session_id,
            SessionEvent.kind == "ended",
        )
    )
    assert ends == 1


def test_two_joins_at_once_both_get_a_seat(app):
    support_session, _ = make_support_session()
    support_session_id = support_session.id

    def join(name):
        def action():
            session_row = db.session.get(SupportSession, support_session_id)
            return sessions.join_as_customer(session_row, name)[0].name

        return action

    assert sorted(run_together(app, join("A"), join("B"))) == ["A", "B"]
    db.session.expire_all()
    names = [p.name for p in db.session.get(SupportSession, support_session_id).participants]
    assert sorted(names[1:]) == ["A", "B"]
