"""#16 item 3: an ended session's page says whether its event log verifies,
in both languages."""

import pytest

from tests.factories import make_customer, make_support_session
from tests.helpers import chain_of, switch_language, tamper
from webapp.services import chat, sessions


@pytest.fixture
def ended_session():
    support_session, rep_seat = make_support_session()
    chat.post_message(make_customer(support_session), "Skrivaren krånglar")
    sessions.end_session(rep_seat)
    return support_session


@pytest.mark.parametrize(
    "locale,verified,broken",
    [
        ("sv", "Händelselogg: Verifierad", "Kedjan bryts vid händelse 3"),
        ("en", "Event log: Verified", "The chain breaks at event 3"),
    ],
)
def test_the_record_says_whether_the_event_log_verifies(
    login_as, ended_session, locale, verified, broken
):
    client = login_as(ended_session.started_by)
    switch_language(client, locale)
    url = f"/dashboard/{ended_session.id}/record"
    assert " ".join(client.get(url).text.split()).count(verified) == 1
    tamper(
        "UPDATE session_events SET kind = 'edited' WHERE id = :id",
        id=chain_of(ended_session)[2].id,
    )
    page = client.get(url).text
    assert broken in page and verified not in " ".join(page.split())
