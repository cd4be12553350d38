"""#18: the session pages write nothing, so on PostgreSQL they read without
a transaction around their statements (web.only_reads), and a write slipped
into such a page is refused rather than committed statement by statement."""

import pytest

from tests.factories import make_support_session
from tests.helpers import join, queries_on_this_thread, switch_language
from webapp.extensions import db
from webapp.models import User
from webapp.web import only_reads


def in_transaction(send) -> tuple[object, list[bool]]:
    """What `send()` returned, and for each statement it ran on this thread
    whether a transaction was open around it: on PostgreSQL whether psycopg
    sends BEGIN (its connection is not in autocommit); SQLite always has one."""

    def opened(conn, _statement) -> bool:
        if conn.dialect.name != "postgresql":
            return True
        return not conn.connection.dbapi_connection.autocommit

    with queries_on_this_thread(opened) as seen:
        return send(), seen


def test_session_pages_read_without_begin_and_rollback_on_postgresql(app, login_as):
    """BEGIN and ROLLBACK were two of the dashboard's seven round trips. The
    login's statement runs without one too; SQLite keeps its transaction
    (one view of the data)."""
    support_session, _ = make_support_session()
    customer_client = app.test_client()
    join(customer_client, support_session.number, "First")
    rep_client = login_as(support_session.started_by)
    on_postgresql = db.engine.dialect.name == "postgresql"
    for client, url in (
        (rep_client, f"/dashboard/{support_session.id}"),
        (customer_client, f"/join/session/{support_session.id}"),
    ):
        page, transactions = in_transaction(lambda c=client, u=url: c.get(u))
        assert page.status_code == 200 and "First<" in page.get_data(as_text=True)
        assert transactions and set(transactions) == {not on_postgresql}
    # The pooled connection went back as it came: the next request that
    # writes (the rep's language) has its transaction.
    answer, transactions = in_transaction(lambda: switch_language(rep_client, "en"))
    assert answer.status_code == 302
    assert transactions and set(transactions) == {True}


def test_a_page_that_only_reads_refuses_to_write(app):
    """Without a transaction each statement would commit on its own, and an
    error halfway could not undo the first half: an ORM write in such a page
    raises instead, and nothing is stored."""
    support_session, _ = make_support_session()
    rep_id = support_session.started_by.id
    db.session.remove()

    @only_reads
    def renames_the_rep():
        db.session.get(User, rep_id).name = "Changed"
        db.session.commit()

    with app.test_request_context(), pytest.raises(RuntimeError, match="only reads"):
        renames_the_rep()
    db.session.remove()
    assert db.session.get(User, rep_id).name != "Changed"
