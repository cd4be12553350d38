"""The statements of a chat line sent from a socket (chat.post_from_seat),
the hottest write of a busy site (#18). They are built once per process, in
Core, with bound parameters only: building and keying them per line cost
more CPU than their round trips.

No parameter is named like a column: Core adds such a parameter to an
UPDATE's SET, and one called `created_at` once rewrote a session's start.
"""

from functools import cache
from typing import NamedTuple

import sqlalchemy as sa

from webapp.models import (
    Activity,
    ActivityKind,
    ChatMessage,
    Participant,
    SessionEvent,
    SupportSession,
)
from webapp.services.audit import Link

SESSION, SEAT = sa.bindparam("session"), sa.bindparam("seat")


class LineStatements(NamedTuple):
    # The seat with its session, the session's chain locked; whether Chatt
    # runs; the line's id from its sequence.
    seat: sa.Select
    # The line, its event and the chain's new head, in one statement.
    write: sa.Select
    # The session's first line, under the lock: NULL when Chatt runs after
    # all (a line that committed while this one waited started it), else
    # the id of Chatt's new row.
    chat_check: sa.Select
    # Chatt's row and its activity_started event.
    chat_start: sa.Select


@cache
def line_statements() -> LineStatements:
    return LineStatements(_seat(), _write(), _chat_check(), _chat_start())


def _chat_running(session_id) -> sa.Exists:
    return sa.exists().where(
        Activity.support_session_id == session_id,
        Activity.kind == ActivityKind.CHAT,
        Activity.ended_at.is_(None),
    )


def _next_id(table: str) -> sa.Function:
    return sa.func.nextval(sa.func.pg_get_serial_sequence(table, "id"))


def _seat() -> sa.Select:
    return (
        sa.select(
            Participant.name,
            Participant.left_at,
            Participant.support_session_id,
            SupportSession.state,
            SupportSession.number,
            SupportSession.window_user_id,
            SupportSession.audit_seq,
            SupportSession.audit_head,
            _chat_running(Participant.support_session_id).label("chat_running"),
            _next_id(ChatMessage.__tablename__).label("message_id"),
        )
        .join(SupportSession, Participant.support_session_id == SupportSession.id)
        .where(Participant.id == sa.bindparam("participant_id"))
        .with_for_update(of=SupportSession, key_share=True)
    )


def event_params(session_id: int, seat_id: int, kind: str, link: Link) -> dict:
    """What the event of `link` (audit.next_link) binds, in `write` and
    `chat_start` alike."""
    return {
        "session": session_id,
        "seat": seat_id,
        "at": link.created_at,
        "event_kind": kind,
        "event_data": link.data,
        "link_seq": link.seq,
        "link_prev": link.prev_hash,
        "link_hash": link.hash,
    }


def _event() -> sa.CTE:
    """The next link of the session's chain, computed by audit.next_link."""
    return (
        sa.insert(SessionEvent)
        .values(
            support_session_id=SESSION,
            seq=sa.bindparam("link_seq"),
            prev_hash=sa.bindparam("link_prev"),
            hash=sa.bindparam("link_hash"),
            kind=sa.bindparam("event_kind"),  # a literal here went unbound in the cached form
            participant_id=SEAT,
            data=sa.bindparam("event_data", type_=SessionEvent.data.type),
            created_at=sa.bindparam("at", type_=SessionEvent.created_at.type),
        )
        .returning(SessionEvent.id)
        .cte("event")
    )


def _write() -> sa.Select:
    event = _event()
    head = (
        sa.update(SupportSession)
        .where(SupportSession.id == SESSION)
        .values(
            audit_seq=sa.bindparam("link_seq"),
            audit_head=sa.bindparam("link_hash"),
            audit_seal=sa.bindparam("link_seal"),
        )
        .returning(SupportSession.id)
        .cte("head")
    )
    line = (
        sa.insert(ChatMessage)
        .values(
            id=sa.bindparam("line_id"),
            support_session_id=SESSION,
            participant_id=SEAT,
            text=sa.bindparam("line_text"),
            created_at=sa.bindparam("at", type_=ChatMessage.created_at.type),
        )
        .returning(ChatMessage.id)
        .cte("line")
    )
    return sa.select(event.c.id).add_cte(head, line)


def _chat_check() -> sa.Select:
    # A fresh statement after the lock is taken reads what committed while
    # this line waited; CASE calls nextval only when a row is to be made.
    return sa.select(
        sa.case((_chat_running(SESSION), sa.null()), else_=_next_id(Activity.__tablename__))
    )


def _chat_start() -> sa.Select:
    event = _event()
    activity = (
        sa.insert(Activity)
        .values(
            id=sa.bindparam("activity_id"),
            support_session_id=SESSION,
            kind=sa.bindparam("activity_kind"),
            participant_id=SEAT,
            started_at=sa.bindparam("at", type_=Activity.started_at.type),
        )
        .returning(Activity.id)
        .cte("activity")
    )
    # The chain's head moves once, with the line that follows in the same
    # transaction.
    return sa.select(event.c.id).add_cte(activity)
