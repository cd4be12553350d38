"""A socket delivers every chat line once, whatever order lines arrive in."""

import json
from datetime import datetime

import pytest

from tests.factories import make_customer, make_support_session
from tests.helpers import RecordingSocket
from webapp.extensions import db
from webapp.live.connection import SessionConnection
from webapp.models import SupportSession
from webapp.services.chat import ChatLine


def chat_event(message_id, text):
    line = ChatLine(message_id, "Kim", text, datetime(2026, 11, 28, 12, 0))
    return {
        "kind": "chat",
        "event_id": message_id,
        "message_id": message_id,
        "line": line.as_dict(),
    }


@pytest.fixture
def connection(app):
    """A customer's socket connection, writing to a socket that records."""
    support_session, _ = make_support_session()
    viewer = make_customer(support_session)
    with app.test_request_context():
        yield SessionConnection(RecordingSocket(), support_session.id, viewer.id, "sv")


def test_lines_published_out_of_id_order_are_both_delivered(connection):
    # Two workers committed 11 after 10 but published 11 first.
    connection._handle([chat_event(11, "second")])
    connection._handle([chat_event(10, "first")])
    sent = connection.ws.sent
    assert len(sent) == 2
    assert "second" in sent[0] and "first" in sent[1]


def test_lines_already_in_the_history_are_not_sent_twice(connection):
    connection.chat_ids_in_log = frozenset({10})
    connection._handle([chat_event(10, "in the history"), chat_event(12, "new")])
    sent = connection.ws.sent
    assert len(sent) == 1 and "new" in sent[0]


def incoming(data: str) -> dict:
    return {"kind": "incoming", "data": data}


def test_bad_signals_are_dropped_and_logged_and_the_socket_goes_on(connection, app, caplog):
    """#5 bad input: malformed or misaddressed signalling never reaches the
    bus, never breaks the socket; a chat line right after still goes through."""
    heard = app.extensions["live"].bus.subscribe(connection.support_session_id)
    bad = [
        "not json",
        "[1, 2]",
        '{"signal": {"description": {"type": "offer", "sdp": 5}}, "to": 1}',
        '{"signal": {"hello": true}, "to": 999999}',
        '{"signal": {"keylog": "x"}, "to": "all"}',
        "{" + '"pad": "' + "x" * 70_000 + '"}',
    ]
    with caplog.at_level("WARNING"):
        connection._handle([incoming(raw) for raw in bad])
    assert heard.drain() == []
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == len(bad)
    connection._handle([incoming('{"message": "Fortfarande här"}')])
    assert [m["kind"] for m in heard.drain()] == ["activity_started", "chat"]


def test_a_good_signal_reaches_only_its_addressee(connection, app):
    support_session_id = connection.support_session_id
    rep_id = db.session.get(SupportSession, support_session_id).controller_id
    heard = app.extensions["live"].bus.subscribe(support_session_id)
    offer = {"signal": {"description": {"type": "offer", "sdp": "v=0"}}, "to": rep_id, "page": "p1"}
    connection._handle([incoming(json.dumps(offer))])
    [relayed] = heard.drain()
    assert relayed == {
        "kind": "signal",
        "from": connection.viewer_id,
        "from_page": "p1",
        "to": rep_id,
        "to_page": None,
        "signal": {"description": {"type": "offer", "sdp": "v=0"}},
    }
    # The addressee's socket sends it on as JSON; the sender's own does not.
    connection._handle([relayed])
    assert connection.ws.sent == []


def test_the_start_of_chat_changes_no_panel_and_a_share_does(connection):
    """The first line of every session starts its Chatt row; with 200
    sessions chatting at once that was 200 panel renders (bench/README.md)."""
    chat_started = {"kind": "activity_started", "event_id": 1, "activity_kind": "chat"}
    share_started = {"kind": "activity_started", "event_id": 2, "activity_kind": "desktop_sharing"}
    assert connection._handle([chat_started]) is False
    assert connection._handle([share_started]) is True


def test_a_full_queue_says_so_once_and_takes_no_more_events(app):
    from webapp.live.bus import OVERFLOWED

    bus = app.extensions["live"].bus
    subscription = bus.subscribe(7, limit=3)
    for event_id in range(10):
        bus.publish(7, {"kind": "presence", "event_id": event_id})
    subscription.put_own({"kind": "incoming", "data": "{}"})  # what the page sent stays
    kinds = [message["kind"] for message in subscription.drain()]
    assert kinds == ["presence", "presence", "presence", OVERFLOWED, "incoming"]
    assert subscription.overflowed


def test_signals_for_other_seats_never_enter_a_sockets_queue(connection, app):
    bus = app.extensions["live"].bus
    subscription = bus.subscribe(connection.support_session_id, accepts=connection.wants)
    for to in (connection.viewer_id + 100, connection.viewer_id, "all"):
        bus.publish(connection.support_session_id, {"kind": "signal", "to": to})
    assert [message["to"] for message in subscription.drain()] == [connection.viewer_id, "all"]


def test_a_join_is_spoken_once_and_not_to_the_one_who_joined(connection):
    """#15 item 1: #announcer gets one sentence per event; panels are not live."""
    joined = {"kind": "joined", "event_id": 3, "participant_id": 999, "participant_name": "Ola"}
    assert connection._handle([joined]) is True  # the panels follow, silently
    [spoken] = connection.ws.sent
    assert 'hx-swap-oob="beforeend:#announcer"' in spoken
    assert "Ola anslöt till sessionen." in spoken
    connection.ws.sent.clear()
    own = {**joined, "participant_id": connection.viewer_id}
    connection._handle([own, {"kind": "presence", "event_id": 4}])
    assert connection.ws.sent == []


def test_a_chat_line_is_spoken_to_the_others_but_not_to_its_author(connection):
    connection._handle([chat_event(20, "Hej")])
    [line] = connection.ws.sent
    assert "beforeend:#chat-log" in line and "Kim skrev: Hej" in line
    mine = {**chat_event(21, "Mitt eget"), "participant_id": connection.viewer_id}
    connection._handle([mine])
    assert "Mitt eget" in connection.ws.sent[1] and "#announcer" not in connection.ws.sent[1]


class ClosesAfterOneSend(RecordingSocket):
    def send(self, data):
        super().send(data)
        self.connected = False


def test_panels_that_meet_redis_away_are_sent_later_on_the_same_socket(
    connection, app, monkeypatch
):
    """#14 item 5: a render due while Redis restarted raised out of the socket,
    which closed with 1011; the page could not reconnect before Redis was back,
    and a line it had just sent was never stored."""
    import redis

    from webapp.live import connection as live_connection

    presence = app.extensions["live"].presence
    calls = []

    def away_then_back(participant_ids):
        calls.append(participant_ids)
        if len(calls) == 1:
            raise redis.ConnectionError("Connection refused")
        return set(participant_ids)

    monkeypatch.setattr(presence, "connected_among", away_then_back)
    monkeypatch.setattr(live_connection, "PANEL_RETRY_SECONDS", 0.01)
    connection.ws = ClosesAfterOneSend()
    subscription = app.extensions["live"].bus.subscribe(connection.support_session_id)
    app.extensions["live"].bus.publish(connection.support_session_id, {"kind": "joined"})
    connection._pump(subscription)
    assert len(calls) > 1
    [panels] = connection.ws.sent
    assert 'id="participants"' in panels


def test_resyncs_that_come_together_cost_one_render_with_the_chat_log(connection, app):
    """After a Redis restart or a killed worker (#14 item 5) every socket of a
    session re-sends its page; two such calls at once are one render."""
    from webapp.live.bus import RESYNC

    connection.ws = ClosesAfterOneSend()
    bus = app.extensions["live"].bus
    subscription = bus.subscribe(connection.support_session_id)
    for _ in range(2):
        bus.publish(connection.support_session_id, {"kind": RESYNC})
    connection._pump(subscription)
    [everything] = connection.ws.sent
    assert 'id="participants"' in everything and 'id="chat-log"' in everything
    assert not connection.chat_log_due


def test_a_chat_log_that_meets_the_database_away_is_sent_later(connection, app, monkeypatch):
    """#18: the log is read when a page first needs it, not by the build; a
    resync whose read meets PostgreSQL away sends it on the next try, with
    the panels, on the same socket."""
    import sqlalchemy as sa

    from webapp.live import connection as live_connection
    from webapp.live import snapshots
    from webapp.live.bus import RESYNC
    from webapp.services import chat

    reads = []
    read = snapshots.recent_messages

    def away_then_back(support_session_id):
        reads.append(support_session_id)
        if len(reads) == 1:
            raise sa.exc.OperationalError("SELECT", {}, Exception("server closed"))
        return read(support_session_id)

    monkeypatch.setattr(snapshots, "recent_messages", away_then_back)
    monkeypatch.setattr(live_connection, "PANEL_RETRY_SECONDS", 0.01)
    rep = db.session.get(SupportSession, connection.support_session_id).participants[0]
    chat.post_message(rep, "Sagt medan sidan var borta")
    db.session.remove()
    connection.ws = ClosesAfterOneSend()
    bus = app.extensions["live"].bus
    subscription = bus.subscribe(connection.support_session_id)
    bus.publish(connection.support_session_id, {"kind": RESYNC})
    connection._pump(subscription)
    assert len(reads) == 2
    [everything] = connection.ws.sent
    assert 'id="participants"' in everything and "Sagt medan sidan var borta" in everything
    assert not connection.chat_log_due


def test_a_customer_shares_the_staff_log_only_when_every_line_came_after_they_joined():
    from datetime import datetime, timedelta

    from webapp.live.bus import Generation
    from webapp.live.snapshots import ChatLog, PanelSnapshot, SharedChatLog

    joined = datetime(2026, 12, 3, 10, 0)

    def snapshot():
        return PanelSnapshot(
            generation=Generation(1, 1),
            is_open=True,
            kinds={7: "customer"},
            participants_html={},
            rest_html={},
            chat_log=SharedChatLog(1, "sv"),
            joined={7: joined},
        )

    def log(oldest_line_at):
        return ChatLog("", frozenset(), oldest_line_at)

    shown = snapshot()
    assert shown.log_is_whole_for(7, log(joined))  # the first line came the moment Kim joined
    assert not shown.log_is_whole_for(8, log(joined))  # not a seat of this snapshot
    earlier = log(joined - timedelta(microseconds=1))
    assert not shown.log_is_whole_for(7, earlier)  # a line from before: Kim's own log is read
    assert shown.log_is_whole_for(7, log(None))


def test_a_socket_gets_every_event_in_order_however_the_threads_meet():
    """The queue is a list and an event (bus.Subscription): a message put
    while its reader is between looking and waiting must still wake it."""
    import threading

    from webapp.live.bus import LocalBus

    bus = LocalBus()
    subscription = bus.subscribe(9)
    assert subscription.get(timeout=0.01) is None  # nothing: the reader wakes to idle
    count = 5000

    def publish():
        for event_id in range(count):
            bus.publish(9, {"kind": "joined", "event_id": event_id})

    publisher = threading.Thread(target=publish)
    publisher.start()
    received = []
    while len(received) < count:
        message = subscription.get(timeout=5)
        assert message is not None, f"woken by nothing after {len(received)}"
        received.append(message["event_id"])
        if len(received) % 7 == 0:  # the handler drains bursts, too
            received.extend(m["event_id"] for m in subscription.drain())
    publisher.join()
    assert received == list(range(count))
    assert subscription.get(timeout=0.01) is None
