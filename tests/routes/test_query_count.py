"""#4: the CSR dashboard costs a fixed number of SQL queries, however many
people are in the session (no query per participant)."""

import threading

import sqlalchemy as sa

from tests.factories import make_customer, make_support_session
from webapp.extensions import db


def queries_for(app, client, url) -> int:
    """The request's own queries: the mail sender and the presence reaper
    query the same engine from their threads, whenever they wake."""
    statements = []
    request_thread = threading.get_ident()

    def count(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == request_thread:
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_dashboard_queries_do_not_grow_with_participants(app, login_as):
    support_session, _ = make_support_session()
    support_session.started_by.customer_cap = 30  # above the site's default cap (R3.5)
    db.session.commit()
    client = login_as(support_session.started_by)
    url = f"/dashboard/{support_session.id}"
    make_customer(support_session, "First")
    with_one = queries_for(app, client, url)
    for n in range(25):
        make_customer(support_session, f"Customer {n}")
    with_many = queries_for(app, client, url)
    assert with_one == with_many
    # The user, the seat with its session, the participants, the running
    # activities, the chat history, the files and recordings.
    assert with_many <= 6
