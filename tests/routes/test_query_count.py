"""#4: the CSR dashboard costs a fixed number of SQL queries, however many
people are in the session (no query per participant)."""

import sqlalchemy as sa

from tests.factories import make_customer, make_support_session
from tests.helpers import join, queries_on_this_thread, switch_language
from webapp.extensions import db


def queries_for(app, client, url) -> int:
    with queries_on_this_thread() as statements:
        assert client.get(url).status_code == 200
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
    # The user, the seat with its session and participants, the running
    # activities, the chat history, the files and recordings.
    assert with_many <= 5
    # The participants came with the seat's query, every one of them.
    page = client.get(url).get_data(as_text=True)
    assert all(f"Customer {n}<" in page for n in range(25)) and "First<" in page


def isolation_levels(request) -> tuple[object, list[str | None]]:
    """What `request()` returned, and the isolation level each statement it
    ran was given (None: the connection's own, in a transaction)."""
    levels: list[str | None] = []

    def level(conn, *_):
        levels.append(conn.get_execution_options().get("isolation_level"))

    sa.event.listen(db.engine, "before_cursor_execute", level)
    try:
        return request(), levels
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", level)


def test_session_pages_read_without_begin_and_rollback_on_postgresql(app, login_as):
    """#18: the rep's and the customer's session pages write nothing, so on
    PostgreSQL their statements, the login's included, run without a
    transaction: BEGIN and ROLLBACK were two of the dashboard's seven round
    trips. SQLite keeps its transaction (one view of the data)."""
    support_session, _ = make_support_session()
    customer_client = app.test_client()
    join(customer_client, support_session.number, "First")
    rep_client = login_as(support_session.started_by)
    on_postgresql = db.engine.dialect.name == "postgresql"
    for client, url in (
        (rep_client, f"/dashboard/{support_session.id}"),
        (customer_client, f"/join/session/{support_session.id}"),
    ):
        page, levels = isolation_levels(lambda c=client, u=url: c.get(u))
        assert page.status_code == 200 and "First<" in page.get_data(as_text=True)
        assert levels and set(levels) == ({"AUTOCOMMIT"} if on_postgresql else {None})
    # The next request that writes (the rep's language) has its transaction.
    answer, levels = isolation_levels(lambda: switch_language(rep_client, "en"))
    assert answer.status_code == 302
    assert levels and set(levels) == {None}
