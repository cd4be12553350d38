"""A presence change re-renders only who is shown as connected, from what the
last build kept and without the database; every other event builds the
panels again (#18's connect storms)."""

import threading
import time

import sqlalchemy as sa
from flask import template_rendered

from tests.factories import make_customer, make_support_session
from tests.helpers import presence_shown, queries_on_this_thread
from webapp.extensions import db
from webapp.live import snapshots
from webapp.live.bus import PRESENCE, Generation, LocalBus
from webapp.live.snapshots import PanelCache
from webapp.services import chat, sessions


def test_the_bus_counts_presence_apart_from_changes_and_signals_not_at_all():
    bus = LocalBus()
    assert bus.generation(1) == Generation(0, 0)
    bus.publish(1, {"kind": PRESENCE})
    bus.publish(1, {"kind": "signal", "to": 2})
    assert bus.generation(1) == Generation(events=1, changes=0)
    bus.publish(1, {"kind": "participant_joined"})
    assert bus.generation(1) == Generation(events=2, changes=1)
    assert bus.generation(2) == Generation(0, 0)  # per session


def test_a_presence_change_renders_what_a_build_would_without_a_query(app):
    support_session, rep = make_support_session()
    kim = make_customer(support_session)
    presence = app.extensions["live"].presence
    cache = PanelCache()
    with app.test_request_context():
        before = cache.snapshot(support_session.id, "sv", Generation(1, 1))
        assert presence_shown(before.panels("customer"), kim.id) == "offline"
        presence.connect(kim.id, support_session.id, "kim-page")
        with queries_on_this_thread() as statements:
            after = cache.snapshot(support_session.id, "sv", Generation(2, 1))
        built = PanelCache().snapshot(support_session.id, "sv", Generation(2, 1))
    assert statements == []
    for kind in ("controller", "customer"):
        assert presence_shown(after.panels(kind), kim.id) == "online"
        assert presence_shown(after.panels(kind), rep.id) == "offline"
    for kind in built.rest_html:  # the panels after the participants' too
        assert after.panels(kind) == built.panels(kind)
    assert after.chat_log is before.chat_log and after.kinds == before.kinds


def test_any_other_event_builds_the_panels_again(app):
    support_session, _ = make_support_session()
    make_customer(support_session, "Kim Kund")
    cache = PanelCache()
    with app.test_request_context():
        cache.snapshot(support_session.id, "en", Generation(1, 1))
        agnes = make_customer(support_session, "Agnes Andersson")
        stale = cache.snapshot(support_session.id, "en", Generation(2, 1))  # presence only
        assert "Agnes Andersson" not in stale.panels("controller")
        fresh = cache.snapshot(support_session.id, "en", Generation(3, 2))  # she joined
        assert "Agnes Andersson" in fresh.panels("controller")
        assert agnes.id in fresh.kinds and agnes.id not in stale.kinds


def test_an_ended_session_is_not_rendered_again_for_presence(app):
    support_session, rep = make_support_session()
    cache = PanelCache()
    with app.test_request_context():
        sessions.end_session(rep)
        ended = cache.snapshot(support_session.id, "sv", Generation(1, 1))
        with queries_on_this_thread() as statements:
            later = cache.snapshot(support_session.id, "sv", Generation(2, 1))
    assert statements == [] and not later.is_open
    assert later.panels("controller") == ended.panels("controller")


def test_a_build_gives_its_connection_back_before_it_renders(app):
    """Templates are most of a build: a connection held through them is one
    a storm's other sockets wait for (#18)."""
    support_session, _ = make_support_session()
    make_customer(support_session)
    support_session_id = support_session.id
    db.session.remove()  # as a socket's build starts: nothing begun, nothing held
    held: list[int] = []
    held_while_rendering: list[int] = []

    def checkout(*_):
        held.append(1)

    def checkin(*_):
        held.pop()

    def rendered(*_, **__):
        held_while_rendering.append(len(held))

    sa.event.listen(db.engine, "checkout", checkout)
    sa.event.listen(db.engine, "checkin", checkin)
    template_rendered.connect(rendered, app)
    try:
        with app.test_request_context():
            snapshot = PanelCache().snapshot(support_session_id, "sv", Generation(1, 1))
            snapshot.chat_log.read()  # as the first page that opens asks for it
    finally:
        template_rendered.disconnect(rendered, app)
        sa.event.remove(db.engine, "checkin", checkin)
        sa.event.remove(db.engine, "checkout", checkout)
    assert set(snapshot.rest_html) == {"controller", "customer"}
    assert len(held_while_rendering) >= 6  # every panel of every kind of viewer, the log
    assert set(held_while_rendering) == {0}


def test_a_build_reads_without_begin_and_leaves_the_next_writer_its_transaction(app):
    """On PostgreSQL a build's reads, and its chat log's, run on their own: BEGIN and ROLLBACK
    were two round trips of each (#18); on SQLite they keep their one view.
    The connection goes back to the pool as it came: a chat line written
    next is one transaction again, or a failed statement would leave half."""
    support_session, _ = make_support_session()
    customer = make_customer(support_session)
    support_session_id, customer_id = support_session.id, customer.id
    db.session.remove()
    modes: list[str | None] = []

    def mode(conn, *_):
        modes.append(conn.get_execution_options().get("isolation_level"))

    sa.event.listen(db.engine, "before_cursor_execute", mode)
    try:
        with app.test_request_context():
            snapshot = PanelCache().snapshot(support_session_id, "sv", Generation(1, 1))
            db.session.remove()
            snapshot.chat_log.read()  # as the first page that opens asks for it
            db.session.remove()
            built, modes[:] = list(modes), []
            chat.post_from_seat(customer_id, "Hej")  # as a socket stores a line
            written = list(modes)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", mode)
    on_postgresql = db.engine.dialect.name == "postgresql"
    assert len(built) >= 4
    assert set(built) == ({"AUTOCOMMIT"} if on_postgresql else {None})
    assert written and set(written) == {None}


def test_builds_of_different_sessions_run_two_at_a_time(monkeypatch):
    """#18: in a connect storm every session's first page starts a build;
    run all at once, they all finished late."""
    running, most = [], []
    guard = threading.Lock()

    def slow_build(support_session_id, locale, generation):
        with guard:
            running.append(support_session_id)
            most.append(len(running))
        time.sleep(0.05)
        with guard:
            running.remove(support_session_id)
        log = snapshots.SharedChatLog(support_session_id, locale)
        return snapshots.PanelSnapshot(generation, True, {}, {}, {}, log)

    monkeypatch.setattr(snapshots, "_build_snapshot", slow_build)
    cache = PanelCache()
    built = {}

    def snapshot(session_id):
        built[session_id] = cache.snapshot(session_id, "sv", Generation(1, 1))

    threads = [threading.Thread(target=snapshot, args=(i,)) for i in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(built) == [1, 2, 3, 4, 5, 6]
    assert max(most) == snapshots.BUILDS_AT_ONCE == 2


def test_a_build_leaves_the_chat_log_to_the_first_page_that_needs_it(app):
    """#18: every panel change built the whole log again, 8 of a build's
    12 ms with 200 lines, though only a page that opens or resyncs is sent it."""
    support_session, rep = make_support_session()
    chat.post_message(rep, "Hej, vad kan jag hjälpa till med?")
    rendered = []

    def heard(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(heard, app)
    try:
        with app.test_request_context():
            with queries_on_this_thread() as building:
                snapshot = PanelCache().snapshot(support_session.id, "sv", Generation(1, 1))
            assert "session/_chat_log.html" not in rendered
            assert not [sql for sql in building if "chat_messages" in sql]
            with queries_on_this_thread() as first_read:
                log = snapshot.chat_log.read()
            with queries_on_this_thread() as second_read:
                assert snapshot.chat_log.read() is log
    finally:
        template_rendered.disconnect(heard, app)
    assert "Hej, vad kan jag hjälpa till med?" in log.html and len(log.ids) == 1
    assert [sql for sql in first_read if "chat_messages" in sql] and second_read == []
    assert rendered.count("session/_chat_log.html") == 1
