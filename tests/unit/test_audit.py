"""#16 item 3: the tamper-evident audit trail. Each session's events are a hash
chain with a sealed head; PostgreSQL refuses to change them; retention leaves
a signed tombstone; `flask audit verify` names the first broken link."""

import hashlib
import hmac
import itertools
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import make_customer, make_support_session
from tests.helpers import chain_of, on_postgresql, session_with_chat, tamper
from webapp.extensions import db
from webapp.models import AuditTombstone, Participant, SupportSession
from webapp.models.base import utcnow
from webapp.services import audit, audit_seal, chat, events, sessions


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def test_each_event_links_to_the_one_before_and_the_head_is_sealed(app):
    support_session = session_with_chat()
    chain = chain_of(support_session)
    assert [event.seq for event in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == audit_seal.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    db.session.refresh(support_session)
    assert (support_session.audit_seq, support_session.audit_head) == (5, chain[-1].hash)
    assert audit.verify_session(support_session).verified
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "Checked 1 sessions, 5 events and 0 tombstones" in result.output
    assert "all verified" in result.output


def test_an_edited_event_fails_verify_at_that_event(app):
    support_session, untouched = session_with_chat(), session_with_chat()
    edited = chain_of(support_session)[3]
    tamper(
        "UPDATE session_events SET data = :data WHERE id = :id",
        data='{"message_id": 999}',
        id=edited.id,
    )
    result = verify(app)
    assert result.exit_code == 1
    assert f"{support_session.grouped_number}: BROKEN at event {edited.id} (no. 4" in result.output
    assert "its content does not match its hash" in result.output
    assert untouched.grouped_number not in result.output  # one line per broken session
    assert "1 broken" in result.output
    verdict = audit.verify_session(support_session)
    assert (verdict.broken.event_id, verdict.broken.seq) == (edited.id, 4)


def test_a_deleted_event_breaks_the_chain_at_the_next_one(app):
    support_session = session_with_chat()
    chain = chain_of(support_session)
    tamper("DELETE FROM session_events WHERE id = :id", id=chain[1].id)
    result = verify(app, support_session.number)
    assert result.exit_code == 1
    assert f"BROKEN at event {chain[2].id} (no. 3 in the session)" in result.output
    assert "no. 2 before it is missing" in result.output


def test_events_cut_off_the_end_show_at_the_sealed_head(app):
    support_session = session_with_chat()
    tamper("DELETE FROM session_events WHERE id = :id", id=chain_of(support_session)[-1].id)
    verdict = audit.verify_session(support_session)
    assert verdict.broken.seq == 5 and "events at its end are missing" in verdict.broken.problem


def test_a_chain_rewritten_without_the_key_fails_at_the_seal(app):
    """Anyone who knows the format can recompute the hashes; only the key
    moves the head's seal."""
    support_session = session_with_chat()
    chain = chain_of(support_session)
    prev_hash = chain[2].hash
    for event in chain[3:]:
        data = {"message_id": 999} if event.seq == 4 else event.data
        digest = audit_seal.event_hash(
            support_session.id, event.seq, prev_hash, event.kind, event.participant_id,
            event.created_at, data,
        )  # fmt: skip
        tamper(
            "UPDATE session_events SET data = :data, prev_hash = :prev, hash = :hash "
            "WHERE id = :id",
            data=f'{{"message_id": {data["message_id"]}}}',
            prev=prev_hash,
            hash=digest,
            id=event.id,
        )
        prev_hash = digest
    tamper(
        "UPDATE support_sessions SET audit_head = :head WHERE id = :id",
        head=prev_hash,
        id=support_session.id,
    )
    result = verify(app)
    assert result.exit_code == 1
    assert "the session's seal does not match its head" in result.output
    assert audit.verify_session(support_session).broken.seq is None


def test_verify_one_session_by_its_number(app):
    support_session = session_with_chat()
    session_with_chat()
    result = verify(app, support_session.grouped_number)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{support_session.grouped_number}: verified, 5 events\n")
    assert "Checked 1 sessions" in result.output
    unknown = verify(app, "000000000")
    assert unknown.exit_code != 0 and "No session with number 000000000" in unknown.output


def test_postgresql_refuses_to_change_or_remove_events(app):
    if not on_postgresql():
        pytest.skip("the append-only trigger is PostgreSQL's")
    support_session = session_with_chat()
    for statement in (
        "UPDATE session_events SET kind = 'nothing'",
        "DELETE FROM session_events WHERE id = (SELECT max(id) FROM session_events)",
        "TRUNCATE session_events CASCADE",
        "DELETE FROM audit_tombstones",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="refused: the audit trail is append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    # Retention's permission lasts one transaction, and names only events.
    db.session.execute(sa.text("SELECT set_config('supportcenter.purge', 'on', true)"))
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.execute(sa.text("DELETE FROM session_events"))
    db.session.rollback()
    assert len(chain_of(support_session)) == 5
    assert audit.verify_session(support_session).verified


def ended_long_ago(days: int = 40) -> SupportSession:
    support_session = session_with_chat()
    rep_seat = db.session.get(Participant, support_session.controller_id)
    sessions.end_session(rep_seat)
    support_session.ended_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return support_session


def test_purge_leaves_a_signed_tombstone_that_verifies(app):
    old, recent = ended_long_ago(), ended_long_ago(days=2)
    head = chain_of(old)[-1]
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert chain_of(old) == [] and chain_of(recent)
    [tombstone] = db.session.scalars(sa.select(AuditTombstone))
    assert (tombstone.support_session_id, tombstone.session_number) == (old.id, old.number)
    assert (tombstone.event_count, tombstone.last_seq, tombstone.last_hash) == (
        head.seq,
        head.seq,
        head.hash,
    )
    assert tombstone.ended_at == old.ended_at and tombstone.started_at == old.created_at
    result = verify(app, "-v")
    assert result.exit_code == 0, result.output
    assert f"{old.grouped_number}: verified, 0 events, 1 tombstones" in result.output
    verdict = audit.verify_session(old)
    assert verdict.verified and verdict.purged
    # A late event (a recording that finished uploading) chains on from the tombstone.
    events.record(db.session.get(SupportSession, old.id), "recording_stored", file_id=1)
    db.session.commit()
    assert chain_of(old)[0].prev_hash == tombstone.last_hash
    assert verify(app).exit_code == 0


def test_a_forged_or_edited_tombstone_fails(app):
    purged, victim = ended_long_ago(), ended_long_ago(days=35)
    victim_chain = chain_of(victim)
    app.test_cli_runner().invoke(args=["purge", "--older-than", "38"])
    tamper("UPDATE audit_tombstones SET event_count = 2")
    result = verify(app)
    assert result.exit_code == 1
    assert re.search(
        rf"{purged.grouped_number}: BROKEN: tombstone \d+ \(events to no\. 7, removed .*\) "
        "is not signed with this site's key",
        result.output,
    )
    # Someone deletes a session's events and leaves a tombstone of their own.
    wrong_key = hashlib.sha256(b"a guess").digest()
    forged = AuditTombstone(
        support_session_id=victim.id,
        session_number=victim.number,
        started_at=victim.created_at,
        ended_at=victim.ended_at,
        event_count=len(victim_chain),
        last_seq=victim_chain[-1].seq,
        last_hash=victim_chain[-1].hash,
        removed_at=utcnow(),
        signature="",
    )
    forged.signature = hmac.new(
        wrong_key, audit_seal.canonical(audit_seal.tombstone_fields(forged)), hashlib.sha256
    ).hexdigest()
    db.session.add(forged)
    db.session.commit()
    tamper("DELETE FROM session_events WHERE support_session_id = :id", id=victim.id)
    result = verify(app, victim.number)
    assert result.exit_code == 1
    assert f"{victim.grouped_number}: BROKEN: tombstone {forged.id}" in result.output


def test_seals_made_before_a_new_secret_key_verify_with_the_old_key_as_fallback(app):
    support_session = session_with_chat()
    app.config["SECRET_KEY"] = "a-new-key-" + "n" * 32
    verdict = audit.verify_session(support_session)
    assert "SECRET_KEY is not the key that sealed it" in verdict.broken.problem
    app.config["SECRET_KEY_FALLBACKS"] = ["test"]
    assert audit.verify_session(support_session).verified
    chat.post_message(db.session.get(Participant, support_session.controller_id), "Ny nyckel")
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert audit.verify_session(support_session).verified  # resealed with the new key


def test_events_written_at_once_from_many_threads_all_chain(app):
    """Chat lines from several seats at once: each waits for the session's
    chain lock, so no two of them link to the same event."""
    support_session, rep_seat = make_support_session()
    seat_ids = [rep_seat.id] + [make_customer(support_session, f"Kund {n}").id for n in range(5)]
    # Chat's activity starts with the first line; that start is not what this is about.
    chat.post_message(rep_seat, "Välkomna")
    before = len(chain_of(support_session))
    per_thread, failures = 15, []
    barrier = threading.Barrier(len(seat_ids))

    def post_lines(seat_id):
        with app.app_context():
            try:
                barrier.wait()
                for n in range(per_thread):
                    chat.post_message(db.session.get(Participant, seat_id), f"Rad {n}")
            except Exception as error:  # the test reports every failure
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post_lines, args=(seat_id,)) for seat_id in seat_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    chain = chain_of(support_session)
    assert len(chain) == before + len(seat_ids) * per_thread
    assert [event.seq for event in chain] == list(range(1, len(chain) + 1))
    assert audit.verify_session(support_session).verified


def test_verify_while_events_are_written_sees_no_break(app):
    """Verify reads the heads, then the events: an event committed in between
    must not look like a break (one snapshot on PostgreSQL)."""
    support_session, rep_seat = make_support_session()
    chat.post_message(rep_seat, "Välkommen")
    writing, rep_seat_id = threading.Event(), rep_seat.id

    def write():
        with app.app_context():
            try:
                while not writing.is_set():
                    chat.post_message(db.session.get(Participant, rep_seat_id), "Rad")
            finally:
                db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        verdicts = [audit.verify_session(support_session) for _ in range(100)]
        # A loaded machine may starve the writer for all 100: go on until it wrote.
        deadline = time.monotonic() + 20
        while verdicts[-1].events == verdicts[0].events and time.monotonic() < deadline:
            verdicts.append(audit.verify_session(support_session))
    finally:
        writing.set()
        writer.join(30)
    assert [verdict.broken for verdict in verdicts if not verdict.verified] == []
    assert verdicts[-1].events > verdicts[0].events  # the writer did write meanwhile
