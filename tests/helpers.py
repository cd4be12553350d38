"""Test helpers shared by several test modules: running things at once,
waiting, fakes, and requests the route tests send. Builders of rows are in
tests/factories.py, browser steps in tests/e2e/steps.py; no test module
imports another."""

import contextlib
import os
import re
import threading
import time

import sqlalchemy as sa

from tests.factories import make_customer, make_support_session
from webapp.extensions import db
from webapp.models import SessionEvent, SupportSession
from webapp.services import chat
from webapp.services.errors import ServiceError


@contextlib.contextmanager
def queries_on_this_thread(note=lambda conn, statement: statement):
    """What `note` says of each SQL statement this thread runs inside the
    block (the statement itself unless told): the mail sender and the
    presence reaper query the same engine from their threads, whenever
    they wake."""
    statements: list = []
    thread = threading.get_ident()

    def count(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == thread:
            statements.append(note(conn, statement))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def presence_shown(html: str, participant_id: int) -> str | None:
    """How the participants panel in `html` shows a seat: "online",
    "offline", or None when the panel has no row for it."""
    row = re.search(rf'data-participant-id="{participant_id}".*?</li>', html, re.S)
    if row is None:
        return None
    return "online" if 'class="presence online"' in row.group(0) else "offline"


def run_together(app, *actions):
    """Runs `actions` at once, each on its own connection in its own thread;
    returns what each returned, or the status it was refused with."""
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


class Expiries:
    def __init__(self):
        self.calls = []

    def __call__(self, deadline):
        self.calls.append((deadline.support_session_id, deadline.participant_id))


def wait_until(condition, seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return condition()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class RecordingSocket:
    connected = True

    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(data)


def switch_language(client, locale):
    return client.post("/language", data={"locale": locale, "next": "/"})


def join(client, number, name="Kim Kund"):
    return client.post("/join/", data={"number": number, "name": name})


def send_invite(rep_client, support_session, **fields):
    """Submits the invite dialog the way htmx does."""
    return rep_client.post(
        f"/dashboard/{support_session.id}/invite",
        data={"role": "customer", "locale": "sv", **fields},
        headers={"HX-Request": "true"},
    )


def copy_link(rep_client, support_session, role) -> str:
    """Kopiera länk in the invite dialog; returns the link's path."""
    page = send_invite(rep_client, support_session, role=role, copy_link="1").text
    return re.search(r'value="http://localhost(/[^"]+/i/[^"]+)"', page).group(1)


# The audit trail's tests (#16 item 3): a chain as stored, and edits to it.
def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def tamper(statement: str, **params) -> None:
    """What someone with the database but not the key can do. On PostgreSQL
    that takes the tables' owner, who may switch the triggers off."""
    tables = ("session_events", "audit_tombstones")
    if on_postgresql():
        for table in tables:
            db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    db.session.execute(sa.text(statement), params)
    if on_postgresql():
        for table in tables:
            db.session.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    db.session.commit()
    db.session.expire_all()


def session_with_chat() -> SupportSession:
    """Events 1 started, 2 joined, 3 activity_started, 4 and 5 chat."""
    support_session, rep_seat = make_support_session()
    customer = make_customer(support_session)
    chat.post_message(customer, "Hej, skrivaren krånglar")
    chat.post_message(rep_seat, "Vi tittar på den")
    return support_session


def chain_of(support_session) -> list[SessionEvent]:
    return list(
        db.session.scalars(
            sa.select(SessionEvent)
            .where(SessionEvent.support_session_id == support_session.id)
            .order_by(SessionEvent.seq)
        )
    )


def opened_websocket():
    """A server-side wsproto connection after a real handshake, and the
    client talking to it: what simple_websocket holds as `ws.ws`."""
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request

    server, client = WSConnection(ConnectionType.SERVER), WSConnection(ConnectionType.CLIENT)
    server.receive_data(client.send(Request(host="127.0.0.1", target="/live/sessions/1")))
    assert isinstance(next(server.events()), Request)
    client.receive_data(server.send(AcceptConnection()))
    assert isinstance(next(client.events()), AcceptConnection)
    return server, client
