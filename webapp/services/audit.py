"""The tamper-evident event log (issue #16 item 3, docs/security.md "The audit trail").

Each session's events form a chain: an event's `hash` is the SHA-256 of its
canonical content, which includes the previous event's hash (`prev_hash`).
The session row keeps the chain's head (last number and hash) with a seal,
an HMAC under a key derived from SECRET_KEY. Changing an event breaks the
chain at it; recomputing the chain after it still leaves the seal wrong, and
so does cutting events off the end. Retention removes a session's events
only with a signed tombstone that says how many and up to which link.

Here the chain is written and verified; what both compute alike (the
canonical form, the hashes, the keys and signatures) is in audit_seal.py.
"""

import hmac
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models import AuditTombstone, SessionEvent, SupportSession
from webapp.models.base import utcnow
from webapp.services import audit_seal

CHUNK = 500  # sessions verified per round of queries


# Writing


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock_heads(support_session_ids: Sequence[int], *columns) -> list[sa.Row]:
    """Locks the sessions' rows until the transaction ends and reads their
    heads: of two writers of one session, the second waits here and then
    reads the head the first wrote, so both never chain to one event."""
    if _is_postgresql():
        # NO KEY UPDATE: as bump_version's UPDATE; rows that only refer to
        # the session (a chat line, a seat) are inserted meanwhile.
        return list(
            db.session.execute(
                sa.select(*columns)
                .where(SupportSession.id.in_(support_session_ids))
                .order_by(SupportSession.id)
                .with_for_update(key_share=True)
            )
        )
    # SQLite locks the whole file on a write, not a read: write first (a
    # no-op), so no other writer commits between reading the head and
    # appending after it.
    return list(
        db.session.execute(
            sa.update(SupportSession)
            .where(SupportSession.id.in_(support_session_ids))
            .values(audit_seq=SupportSession.audit_seq)
            .returning(*columns)
            .execution_options(synchronize_session=False)
        )
    )


@dataclass(frozen=True)
class Link:
    """The next event of a session's chain, and the sealed head it moves to."""

    seq: int
    prev_hash: str
    hash: str
    seal: str
    created_at: datetime
    data: dict  # as it will read back: tuples are lists


def next_link(
    support_session_id: int,
    number: str,
    last_seq: int,
    head: str | None,
    kind: str,
    participant_id: int | None,
    data: dict,
) -> Link:
    """The link after (`last_seq`, `head`); the caller holds the chain's lock."""
    seq, prev_hash, created_at = last_seq + 1, head or audit_seal.GENESIS, utcnow()
    data = json.loads(json.dumps(data))
    digest = audit_seal.event_hash(
        support_session_id, seq, prev_hash, kind, participant_id, created_at, data
    )
    sealed = audit_seal.seal(support_session_id, number, seq, digest)
    return Link(seq, prev_hash, digest, sealed, created_at, data)


def lock_chain(support_session_id: int) -> None:
    """Takes the session's chain lock, held until the transaction ends: a
    check made after it cannot be raced by another writer of the session."""
    _lock_heads([support_session_id], SupportSession.id)


def append(
    support_session: SupportSession, kind: str, participant_id: int | None, data: dict
) -> int:
    """Adds the next event of the session's chain to the caller's
    transaction, moves the sealed head, and returns the event's id. The
    session's row stays locked until the caller commits or rolls back.
    (chat.post_from_seat writes its own link, in one statement with its line.)"""
    [(last_seq, head)] = _lock_heads(
        [support_session.id], SupportSession.audit_seq, SupportSession.audit_head
    )
    link = next_link(
        support_session.id, support_session.number, last_seq, head, kind, participant_id, data
    )
    # INSERT … RETURNING: the id is needed now, since after commit no SQL may run.
    event_id = db.session.execute(
        sa.insert(SessionEvent)
        .values(
            support_session_id=support_session.id,
            seq=link.seq,
            prev_hash=link.prev_hash,
            hash=link.hash,
            kind=kind,
            participant_id=participant_id,
            data=link.data,
            created_at=link.created_at,
        )
        .returning(SessionEvent.id)
    ).scalar_one()
    head_values = {"audit_seq": link.seq, "audit_head": link.hash, "audit_seal": link.seal}
    db.session.execute(
        sa.update(SupportSession)
        .where(SupportSession.id == support_session.id)
        .values(**head_values)
        .execution_options(synchronize_session=False)
    )
    for name, value in head_values.items():
        so.attributes.set_committed_value(support_session, name, value)
    return event_id


def prepare_purge(support_session_ids: Sequence[int]) -> None:
    """In retention's transaction, before it deletes the sessions' events:
    a signed tombstone for each session that has events, taken under the
    chain lock, and (PostgreSQL) leave for this transaction to DELETE them."""
    if _is_postgresql():
        db.session.execute(sa.text("SELECT set_config('supportcenter.purge', 'on', true)"))
    heads = _lock_heads(
        support_session_ids,
        SupportSession.id,
        SupportSession.number,
        SupportSession.created_at,
        SupportSession.ended_at,
        SupportSession.audit_seq,
        SupportSession.audit_head,
    )
    counts = dict(
        db.session.execute(
            sa.select(SessionEvent.support_session_id, sa.func.count())
            .where(SessionEvent.support_session_id.in_(support_session_ids))
            .group_by(SessionEvent.support_session_id)
        ).all()
    )
    removed_at, key = utcnow(), audit_seal.keys()[0]
    for head in heads:
        if not counts.get(head.id):
            continue
        tombstone = AuditTombstone(
            support_session_id=head.id,
            session_number=head.number,
            started_at=head.created_at,
            ended_at=head.ended_at,
            event_count=counts[head.id],
            last_seq=head.audit_seq,
            last_hash=head.audit_head or audit_seal.GENESIS,
            removed_at=removed_at,
        )
        tombstone.signature = audit_seal.sign(key, audit_seal.tombstone_fields(tombstone))
        db.session.add(tombstone)


# Verifying


@dataclass(frozen=True)
class Break:
    """The first link of a session's chain that does not hold."""

    problem: str  # for the operator, in English as the CLI speaks
    event_id: int | None = None  # None: the break is in the head or a tombstone
    seq: int | None = None  # where in the session a reader sees it; None: nowhere in particular


@dataclass(frozen=True)
class Verdict:
    support_session_id: int
    number: str
    events: int
    tombstones: int
    broken: Break | None = None

    @property
    def verified(self) -> bool:
        return self.broken is None

    @property
    def purged(self) -> bool:
        return self.tombstones > 0


_SESSION_COLUMNS = (
    SupportSession.id,
    SupportSession.number,
    SupportSession.audit_seq,
    SupportSession.audit_head,
    SupportSession.audit_seal,
)
_EVENT_COLUMNS = (
    SessionEvent.id,
    SessionEvent.support_session_id,
    SessionEvent.seq,
    SessionEvent.prev_hash,
    SessionEvent.hash,
    SessionEvent.kind,
    SessionEvent.participant_id,
    SessionEvent.created_at,
    SessionEvent.data,
)


def verify_session(support_session: SupportSession) -> Verdict:
    """Verified, or the first broken link, for one session as the database
    holds it now (the history page calls this)."""
    [verdict] = _verify(sa.select(*_SESSION_COLUMNS).where(SupportSession.id == support_session.id))
    return verdict


def verify_all() -> Iterator[Verdict]:
    """Every session's verdict, in the order they were made, a chunk of
    sessions' events in memory at a time."""
    after = 0
    while True:
        chunk = _verify(
            sa.select(*_SESSION_COLUMNS)
            .where(SupportSession.id > after)
            .order_by(SupportSession.id)
            .limit(CHUNK)
        )
        yield from chunk
        if len(chunk) < CHUNK:
            return
        after = chunk[-1].support_session_id


def find_by_number(number: str) -> SupportSession | None:
    digits = "".join(number.split())
    return db.session.scalar(sa.select(SupportSession).where(SupportSession.number == digits))


@contextmanager
def _snapshot() -> Iterator[sa.Connection]:
    """A connection of its own whose reads all see one moment. Heads, events
    and tombstones are three queries; an event committed between them would
    look like a break."""
    if isinstance(db.engine.pool, sa.pool.StaticPool):
        # An in-memory SQLite: one connection, so nobody writes meanwhile,
        # and closing a second handle on it would roll back the caller's work.
        yield db.session.connection()
        return
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        else:
            # pysqlite begins a transaction only before a write; without
            # one, each SELECT reads afresh. Writers wait for the rollback.
            connection.exec_driver_sql("BEGIN")
        yield connection


def _verify(sessions_query: sa.Select) -> list[Verdict]:
    with _snapshot() as connection:
        heads = connection.execute(sessions_query).all()
        ids = [head.id for head in heads]
        events: dict[int, list] = {support_session_id: [] for support_session_id in ids}
        for event in connection.execute(
            sa.select(*_EVENT_COLUMNS)
            .where(SessionEvent.support_session_id.in_(ids))
            .order_by(SessionEvent.support_session_id, SessionEvent.seq, SessionEvent.id)
        ):
            events[event.support_session_id].append(event)
        tombstones: dict[int, list] = {support_session_id: [] for support_session_id in ids}
        for tombstone in connection.execute(
            sa.select(AuditTombstone.__table__)
            .where(AuditTombstone.support_session_id.in_(ids))
            .order_by(AuditTombstone.last_seq, AuditTombstone.id)
        ):
            tombstones[tombstone.support_session_id].append(tombstone)
    keys = audit_seal.keys()
    return [
        Verdict(
            head.id,
            head.number,
            len(events[head.id]),
            len(tombstones[head.id]),
            _first_break(head, events[head.id], tombstones[head.id], keys),
        )
        for head in heads
    ]


def _first_break(
    head: sa.Row, events: Iterable[sa.Row], tombstones: Iterable[sa.Row], keys
) -> Break | None:
    last_seq, last_hash, previous = 0, audit_seal.GENESIS, "the start of the chain"
    for tombstone in tombstones:
        if not audit_seal.signed(keys, tombstone.signature, audit_seal.tombstone_fields(tombstone)):
            return Break(
                f"tombstone {tombstone.id} (events to no. {tombstone.last_seq}, removed "
                f"{audit_seal.stamp(tombstone.removed_at)}) is not signed with this site's key"
            )
        last_seq, last_hash = tombstone.last_seq, tombstone.last_hash
        previous = f"tombstone {tombstone.id}"
    for event in events:
        if problem := _link_problem(head.id, event, last_seq, last_hash, previous):
            return Break(problem, event.id, event.seq)
        last_seq, last_hash, previous = event.seq, event.hash, f"event {event.id}"
    if (head.audit_seq, head.audit_head or audit_seal.GENESIS) != (last_seq, last_hash):
        if head.audit_seq > last_seq:
            return Break(
                f"the chain ends at no. {last_seq} but the session's head is no. "
                f"{head.audit_seq}: events at its end are missing",
                seq=last_seq + 1,
            )
        return Break(
            f"the session's head (no. {head.audit_seq}) is not the chain's last link "
            f"(no. {last_seq})",
            seq=last_seq,
        )
    if not audit_seal.signed(
        keys, head.audit_seal, audit_seal.head_fields(head.id, head.number, last_seq, last_hash)
    ):
        return Break(
            "the session's seal does not match its head: the head (and the chain) was "
            "rewritten, or SECRET_KEY is not the key that sealed it"
        )
    return None


def _link_problem(support_session_id, event, last_seq, last_hash, previous) -> str | None:
    if event.seq is None or event.hash is None or event.prev_hash is None:
        return "it has no place in the chain: it was written around the app"
    recomputed = audit_seal.event_hash(
        support_session_id,
        event.seq,
        event.prev_hash,
        event.kind,
        event.participant_id,
        event.created_at,
        event.data,
    )
    if not hmac.compare_digest(recomputed, event.hash):
        return "its content does not match its hash: the row was changed"
    if event.seq > last_seq + 1:
        if event.seq == last_seq + 2:
            return f"it is no. {event.seq}, so no. {last_seq + 1} before it is missing"
        return f"it is no. {event.seq}, so nos. {last_seq + 1}-{event.seq - 1} are missing"
    if event.seq <= last_seq:
        return f"it is no. {event.seq} again, after no. {last_seq}"
    if event.prev_hash != last_hash:
        return f"it does not link to {previous}, which was changed or replaced"
    return None
