"""The drills' world (#13 item 8): a target session and everything around
it, and one browser (a test client) for each kind of user.

- S, the target: controlled by an agent ("controller"), with a rep assisting
  ("assistant") and a customer ("customer"); the controller shares its
  desktop and has a stored recording, the customer sent a file to everyone.
- T, another open session: its own rep, an assistant, a customer ("customer
  of another session"), an activity, a file and a recording.
- E, an ended session the controller and the assistant took part in, and
  another ended session of T's rep.
- W, a session waiting in a queue, offered to a second agent ("agent").
- A rep with no seat anywhere ("rep", a rep without control) and an admin.

Ids are kept, not ORM objects: every request runs in a session of its own
and the drills read rows fresh.
"""

import base64
import hashlib
import io
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.security import generate_password_hash

from tests.conftest import IsolatedClient, database_url, make_config
from tests.factories import allow_recording, make_rep
from webapp import create_app
from webapp.extensions import db
from webapp.invitation_mail import compose
from webapp.models import ActivityKind, InvitationRole, Offer, SessionFile, User
from webapp.services import (
    acd_transfer,
    activities,
    files,
    invitations,
    queues,
    recordings,
    replies,
    sessions,
)

ANONYMOUS = "anonymous"
OTHER_CUSTOMER = "customer of another session"
CUSTOMER = "customer"
ASSISTANT = "assistant"
REP = "rep without control"
AGENT = "agent"
ADMIN = "admin"
CONTROLLER = "controller"

# The six kinds of #13 item 8, and the two who rightly use the target session.
KINDS = (ANONYMOUS, OTHER_CUSTOMER, ASSISTANT, REP, AGENT, ADMIN, CONTROLLER, CUSTOMER)
NOT_LOGGED_IN = (ANONYMOUS, OTHER_CUSTOMER, CUSTOMER)
STAFF = (ASSISTANT, REP, AGENT, ADMIN, CONTROLLER)

PASSWORD = "password123"
METRICS_TOKEN = "drill-metrics-token"  # on, so that the walk sees it refuse everyone
CSRF_IN_PAGE = re.compile(
    r'"X-CSRFToken": "([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"'
)


@contextmanager
def running_app(directory, **overrides) -> Iterator[Flask]:
    """An app on a fresh database whose presence never ends a session by
    itself while a drill runs: the pages the drills open have no socket."""
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=database_url(directory),
            UPLOAD_DIR=str(directory / "uploads"),
            PRESENCE_GRACE_SECONDS=3600.0,
            QUEUE_GRACE_SECONDS=3600.0,
            METRICS_TOKEN=METRICS_TOKEN,
            **overrides,
        )
    )
    app.test_client_class = IsolatedClient
    # The drills log in a dozen staff per world; scrypt would cost seconds
    # each time and proves nothing here (test_accounts.py covers logins).
    quick_hash = partial(generate_password_hash, method="pbkdf2:sha256:1")
    with app.app_context(), mock.patch("webapp.models.user.generate_password_hash", quick_hash):
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.drop_all()
            app.extensions["live"].stop()


@dataclass
class World:
    app: Flask
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # staff kind -> user id
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # customer kind -> seat secret
    other_session_marks: tuple[str, ...] = ()


def upload(name: str = "notes.txt", data: bytes = b"hello") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="text/plain")


def record(seat) -> tuple[int, int, int]:
    """The seat shares its desktop and records it; returns the ids of the
    share, the recording activity and the stored recording."""
    share = activities.start_activity(seat, ActivityKind.DESKTOP_SHARING)
    allow_recording(seat.support_session)
    recording = activities.start_activity(seat, ActivityKind.RECORDING)
    stored = recordings.receive(seat, recording.id, recordings.Chunk(0, b"webm", 1000), "sv")
    recordings.receive(seat, recording.id, None, "sv")
    return share.id, recording.id, stored.id


def token_of(issued) -> str:
    return issued.link.rsplit("/", 1)[1]


def build(app: Flask) -> World:
    """Builds the world with the services; the caller holds an app context."""
    world = World(app)
    with app.test_request_context("/"):  # invitation links need one
        people = {
            CONTROLLER: make_rep("Rut Ansvarig", role="agent"),
            ASSISTANT: make_rep("Helge Hjälpare"),
            REP: make_rep("Signe Utanför"),
            AGENT: make_rep("Sara Agent", role="agent"),
            ADMIN: make_rep("Ada Admin", role="admin"),
        }
        world.users = {kind: user.id for kind, user in people.items()}
        world.ids = {"rep": people[REP].id, "agent": people[AGENT].id, "admin": people[ADMIN].id}
        _ended_session(world, people)
        _target_session(world, people)
        _other_sessions(world, make_rep("Olle Annan"), make_rep("Otto Annan"))
        _waiting_session(world, people[AGENT])
        # The controller's own canned reply (Snabbsvar): nobody else's to see or remove.
        world.ids["reply"] = replies.add(people[CONTROLLER], "Hälsning", "Hej {kund}!", "").id
    for kind in KINDS:
        world.clients[kind] = app.test_client()
    for kind, user in people.items():
        log_in(world.clients[kind], user.email)
    seat_customer(world.clients[CUSTOMER], world.ids["session"], world.secrets[CUSTOMER])
    # The customer's browser also keeps its seat of an earlier, ended session:
    # its end page takes a rating and sends a receipt (#16 item 4).
    seat_customer(
        world.clients[CUSTOMER], world.ids["ended_session"], world.secrets["ended_customer"]
    )
    seat_customer(
        world.clients[OTHER_CUSTOMER], world.ids["other_session"], world.secrets[OTHER_CUSTOMER]
    )
    return world


def _ended_session(world: World, people: dict) -> None:
    ended, rep_seat = sessions.start_session(people[CONTROLLER])
    sessions.assist(people[ASSISTANT], ended)
    _eva, world.secrets["ended_customer"] = sessions.join_as_customer(ended, "Eva Förr")
    sessions.end_session(rep_seat)
    world.ids["ended_session"] = ended.id


def _target_session(world: World, people: dict) -> None:
    target, rep_seat = sessions.start_session(people[CONTROLLER])
    assistant_seat = sessions.assist(people[ASSISTANT], target)
    customer, world.secrets[CUSTOMER] = sessions.join_as_customer(target, "Kim Kund")
    file_id = files.share_file(customer, upload(), None).id
    share_id, recording_activity_id, recording_id = record(rep_seat)
    invitation = invitations.invite(
        rep_seat, InvitationRole.CUSTOMER, None, "sv", send_mail=False, compose=compose
    )
    world.tokens["customer"] = token_of(invitation)
    world.ids.update(
        session=target.id,
        controller_seat=rep_seat.id,
        assistant_seat=assistant_seat.id,
        customer_seat=customer.id,
        share=share_id,
        recording_activity=recording_activity_id,
        file=file_id,
        recording=recording_id,
        invitation=invitation.invitation.id,
    )


def _other_sessions(world: World, other_rep: User, other_assistant: User) -> None:
    other, rep_seat = sessions.start_session(other_rep)
    assistant_seat = sessions.assist(other_assistant, other)
    customer, world.secrets[OTHER_CUSTOMER] = sessions.join_as_customer(other, "Xena Annan")
    file_id = files.share_file(customer, upload("hers.txt"), None).id
    share_id, recording_activity_id, recording_id = record(rep_seat)
    for role in InvitationRole:
        issued = invitations.invite(rep_seat, role, None, "sv", send_mail=False, compose=compose)
        world.tokens[f"other_{role}"] = token_of(issued)
        world.ids[f"other_{role}_invitation"] = issued.invitation.id
    ended, ended_rep_seat = sessions.start_session(other_rep)
    sessions.end_session(ended_rep_seat)
    world.ids.update(
        other_session=other.id,
        other_ended_session=ended.id,
        other_rep_seat=rep_seat.id,
        other_assistant_seat=assistant_seat.id,
        other_customer_seat=customer.id,
        other_share=share_id,
        other_recording_activity=recording_activity_id,
        other_file=file_id,
        other_recording=recording_id,
    )
    # What only the other session's own people may see.
    world.other_session_marks = (other.number, customer.name, "hers.txt")


def _waiting_session(world: World, agent: User) -> None:
    """A request for help in the agent's queue: the agent holds its offer."""
    queue = queues.create_queue("Första linjen", [agent.email])
    acd_transfer.request_help(queue.id, "Wilma Väntar", "w@example.com", "Hjälp")
    world.ids["queue"] = queue.id
    world.ids["offer"] = db.session.scalar(sa.select(Offer.id).where(Offer.agent_id == agent.id))


def csrf_token(client: FlaskClient, path: str = "/") -> str | None:
    """The token a page of this browser carries, as htmx and the forms send it."""
    match = CSRF_IN_PAGE.search(client.get(path).text)
    return (match.group(1) or match.group(2)) if match else None


def log_in(client: FlaskClient, email: str) -> None:
    data = {"email": email, "password": PASSWORD}
    token = csrf_token(client, "/login")
    if token:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.text


def seat_customer(client: FlaskClient, support_session_id: int, secret: str) -> None:
    """The seat a customer's browser holds after joining (join.py keeps it so)."""
    with client.session_transaction() as browser_session:
        seats = dict(browser_session.get("seats", {}))
        seats[str(support_session_id)] = secret
        browser_session["seats"] = seats


def fingerprint() -> dict[str, str]:
    """A hash of every table's rows, read fresh: what a refused request must
    leave exactly as it was. Plain SQL on the driver: the walk reads it
    after every request."""
    db.session.rollback()
    cursor = db.session.connection().connection.cursor()
    hashes = {}
    for table in db.metadata.sorted_tables:
        keys = ", ".join(column.name for column in table.primary_key.columns)
        cursor.execute(f"SELECT * FROM {table.name} ORDER BY {keys}")
        hashes[table.name] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    cursor.close()
    db.session.rollback()
    return hashes


def stray_uploads(app: Flask) -> list[str]:
    """Files on disk that no row names: what a refused upload left behind."""
    kept = set(db.session.scalars(sa.select(SessionFile.stored_name)))
    root = Path(app.config["UPLOAD_DIR"])
    on_disk = [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
    return [str(path.relative_to(root)) for path in on_disk if path.name not in kept]


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [name for name, digest in after.items() if before.get(name) != digest]


def open_socket(port: int, client, path: str, origin: str | None = None):
    """How the server answers a socket handshake: "open" when its first frame
    carries data, the close code when it is a close, else the HTTP status.

    A raw socket rather than a websocket client: the Werkzeug dev server
    writes an HTTP response after a socket closes at once, and the
    `websockets` client then sometimes notices the close frame before it only
    at its next ping, 20 s later."""
    cookie = client.get_cookie("session")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        *([f"Cookie: session={cookie.value}"] if cookie else []),
        *([f"Origin: {origin}"] if origin else []),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < 4:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, frames = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 101 or len(frames) < 4:
        return status
    opcode = frames[0] & 0x0F
    if opcode == 0x8:  # close; its payload starts with the code
        return int.from_bytes(frames[2:4], "big")
    return "open"
