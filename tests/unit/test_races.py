"""Two requests at once on real, separate connections (DESIGN.md: one winner).

On PostgreSQL (TEST_DATABASE_URL) these are truly concurrent transactions.
"""

import threading

import sqlalchemy as sa

from tests.factories import make_support_session
from webapp.extensions import db
from webapp.models import Participant, SessionEvent, SupportSession
from webapp.services import sessions
from webapp.services.errors import ServiceError


def run_together(app, *actions):
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def worker(index, action):
        with app.app_context():
            try:
                barrier.wait()
                outcomes[index] = action()
            except ServiceError as refused:
                outcomes[index] = refused.status
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes


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
