"""The customer's end page (#16 item 4): a rating 1-5 with a comment, one per
customer seat, shown on the session's history page; a receipt by email in
the customer's language, a few per seat. Every bad input is refused with a
clear message and stores nothing."""

import io
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage

from tests.factories import make_rep, make_support_session
from tests.helpers import join, switch_language
from webapp.extensions import db
from webapp.models import ActivityKind, SessionRating, SupportSession
from webapp.models.base import utcnow
from webapp.services import activities, files, ratings, retention, sessions

HTMX = {"HX-Request": "true"}


def ended_with_kim(app, login_as, language="sv"):
    """Rut helped Kim (joined in `language`): video and a file, then the end."""
    support_session, rep_seat = make_support_session(make_rep("Rut"))
    rep_client = login_as(support_session.started_by)
    kim_client = app.test_client()
    if language != "sv":
        switch_language(kim_client, language)
    join(kim_client, support_session.number, "Kim")
    kim = next(p for p in support_session.participants if p.role == "customer")
    kim.email = "kim@example.com"
    db.session.commit()
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    files.share_file(rep_seat, FileStorage(io.BytesIO(b"x" * 3000), "logg.txt"), None)
    sessions.end_session(rep_seat)
    return support_session, rep_client, kim_client, kim


def rate(client, support_session, score="4", comment=""):
    return client.post(
        f"/sessions/{support_session.id}/rating",
        data={"score": score, "comment": comment},
        headers=HTMX,
    )


def ask_receipt(client, support_session, email):
    return client.post(
        f"/sessions/{support_session.id}/receipt", data={"email": email}, headers=HTMX
    )


def stored():
    return db.session.scalars(db.select(SessionRating)).all()


def test_the_end_page_offers_a_rating_and_a_receipt_to_the_customer(app, login_as):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as)
    page = kim_client.get(f"/join/session/{support_session.id}").text
    assert f"/sessions/{support_session.id}/feedback" in page
    panel = kim_client.get(f"/sessions/{support_session.id}/feedback").text
    assert "Hur gick det?" in panel and 'type="radio"' in panel
    assert 'value="kim@example.com"' in panel and "Skicka kvitto till mig" in panel


def test_a_rating_is_stored_replaced_and_shown_to_the_rep(app, login_as):
    support_session, rep_client, kim_client, kim = ended_with_kim(app, login_as)
    first = rate(kim_client, support_session, "2", "Det tog tid")
    assert first.status_code == 200 and "Tack för ditt betyg" in first.text
    again = rate(kim_client, support_session, "5", "  Rut löste det!\r\nTack  ")
    assert again.status_code == 200 and "Ändra betyg" in again.text
    [rating] = stored()  # the second answer replaced the first
    assert (rating.participant_id, rating.score) == (kim.id, 5)
    assert rating.comment == "Rut löste det!\nTack"
    page = rep_client.get(f"/history/{support_session.id}").text
    assert "Kundens betyg" in page and "5 av 5" in page and "Rut löste det!" in page
    assert "Kim betygsatte sessionen" in page
    switch_language(rep_client, "en")
    page = rep_client.get(f"/history/{support_session.id}").text
    assert "Customer rating" in page and "5 of 5" in page
    assert ratings.summary([support_session.id]) == ratings.Summary(1, 5.0)


@pytest.mark.parametrize(
    ("score", "comment", "field"),
    [
        ("0", "", "score"),
        ("6", "", "score"),
        ("-1", "", "score"),
        ("x", "", "score"),
        ("4.5", "", "score"),
        ("", "", "score"),
        ("\u0663", "", "score"),  # an Arabic-Indic three is a digit, not a score
        ("3", "x" * 1001, "comment"),
    ],
)
def test_bad_ratings_are_refused_and_store_nothing(app, login_as, score, comment, field):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as)
    refused = rate(kim_client, support_session, score, comment)
    assert refused.status_code == 400
    expected = {"score": "Välj ett betyg från 1 till 5.", "comment": "högst 1000 tecken"}[field]
    assert expected in refused.text
    assert {"score": 'aria-describedby="score-error"', "comment": 'aria-invalid="true"'}[field] in (
        refused.text
    )
    assert stored() == []


def test_a_comment_of_1000_characters_is_taken_and_errors_are_in_english(app, login_as):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as, "en")
    refused = rate(kim_client, support_session, "seven")
    assert refused.status_code == 400 and "Choose a rating from 1 to 5." in refused.text
    long = rate(kim_client, support_session, "3", "y" * 1001)
    assert "A comment can be at most 1000 characters." in long.text
    assert rate(kim_client, support_session, "3", "y" * 1000).status_code == 200
    assert len(stored()[0].comment) == 1000


def test_only_a_customer_of_the_ended_session_rates_it(app, login_as):
    support_session, rep_seat = make_support_session(make_rep("Rut"))
    rep_client = login_as(support_session.started_by)
    kim_client = app.test_client()
    join(kim_client, support_session.number, "Kim")
    early = rate(kim_client, support_session)
    assert early.status_code == 409 and "när den har avslutats" in early.text
    sessions.end_session(rep_seat)
    assert rate(rep_client, support_session).status_code == 404  # staff have no customer seat
    stranger = app.test_client()
    assert rate(stranger, support_session).status_code == 404
    other, other_rep = make_support_session()
    ola_client = app.test_client()
    join(ola_client, other.number, "Ola")
    sessions.end_session(other_rep)
    assert rate(ola_client, support_session).status_code == 404  # another session's customer
    assert kim_client.get(f"/sessions/{other.id}/feedback").status_code == 404
    assert stored() == []


def test_a_receipt_goes_out_in_the_customers_language(app, login_as, outbox):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as, "en")
    answer = ask_receipt(kim_client, support_session, "kim@example.com")
    assert answer.status_code == 200 and "A receipt is on its way to kim@example.com" in answer.text
    [mail] = outbox()
    assert mail.recipient == "kim@example.com"
    assert mail.subject == f"Receipt for support session {support_session.grouped_number}"
    for text in ("Hello Kim,", "Helped by: Rut", "Video, Rut", "logg.txt (3\u00a0kB)", "Started: "):
        assert text in mail.body, text


def test_a_swedish_customer_gets_a_swedish_receipt(app, login_as, outbox):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as)
    assert ask_receipt(kim_client, support_session, "kim@example.com").status_code == 200
    [mail] = outbox()
    assert mail.subject.startswith("Kvitto för supportsession")
    assert "Hjälpt av: Rut" in mail.body and "logg.txt" in mail.body


def test_bad_receipt_requests_send_nothing(app, login_as, outbox):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as)
    for email in ("", "not-an-address", "a@b@c", "x" * 300 + "@example.com"):
        refused = ask_receipt(kim_client, support_session, email)
        assert refused.status_code == 400 and "e-postadress" in refused.text.lower()
    assert outbox() == []
    for _ in range(3):
        assert ask_receipt(kim_client, support_session, "kim@example.com").status_code == 200
    spam = ask_receipt(kim_client, support_session, "someone@example.com")
    assert spam.status_code == 429 and "redan bett om 3 kvitton" in spam.text
    assert len(outbox()) == 3
    assert ask_receipt(app.test_client(), support_session, "a@example.com").status_code == 404
    assert len(outbox()) == 3


def test_the_summary_counts_and_averages_over_the_sessions_asked(app, login_as):
    first, _rep, kim_client, _kim = ended_with_kim(app, login_as)
    rate(kim_client, first, "4")
    second, rep_seat = make_support_session()
    ola_client = app.test_client()
    join(ola_client, second.number, "Ola")
    sessions.end_session(rep_seat)
    rate(ola_client, second, "1")
    assert ratings.summary() == ratings.Summary(2, 2.5)
    assert ratings.summary([second.id]) == ratings.Summary(1, 1.0)
    ended = db.select(SupportSession.id).where(SupportSession.number == first.number)
    assert ratings.summary(ended) == ratings.Summary(1, 4.0)
    assert ratings.summary([]) == ratings.Summary(0, None)


def test_retention_removes_a_ratings_comment_and_keeps_its_score(app, login_as):
    support_session, _rep, kim_client, _kim = ended_with_kim(app, login_as)
    rate(kim_client, support_session, "2", "Mitt telefonnummer är 070-1234567")
    retention.purge_older_than(0, now=utcnow() + timedelta(days=1))
    db.session.expire_all()
    [rating] = stored()
    assert (rating.score, rating.comment) == (2, None)
    assert ratings.summary([support_session.id]) == ratings.Summary(1, 2.0)
