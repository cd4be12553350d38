"""#4: the CSR dashboard costs a fixed number of SQL queries, however many
people are in the session (no query per participant)."""

from tests.factories import make_customer, make_support_session
from tests.helpers import queries_on_this_thread
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
