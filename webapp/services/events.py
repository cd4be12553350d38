"""Session events: written in the service's transaction, published after commit.

Publishing from an `after_commit` hook means a subscriber never hears of a
change that was rolled back, and every service gets it by calling `record`.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.live.bus import user_channel
from webapp.models import Participant, SessionState, SupportSession
from webapp.services import audit
from webapp.services.errors import ServiceError

log = logging.getLogger(__name__)
_PENDING = "supportcenter_pending_events"
LOGGED_OUT = "logged_out"  # a staff login ended: its sockets close

# What a service announces to the services that listen (see `announce`).
SESSION_CLOSING = "session_closing"  # in the closing transaction; listeners return agent ids
SEATS_CLOSED = "seats_closed"  # after the commit that closed seats
RECORDING_STARTING = "recording_starting"  # listeners raise to refuse it (consent)
CUSTOMER_SEATED = "customer_seated"  # in the transaction that seats a customer
_listeners: dict[str, list[Callable[..., object]]] = defaultdict(list)


def listen(kind: str) -> Callable:
    """Decorator: `listener` is called whenever a service announces `kind`.

    Sessions announce, WebACD listens: sessions need not import acd, which
    imports sessions, so the services form no circle."""

    def register(listener: Callable[..., object]) -> Callable[..., object]:
        _listeners[kind].append(listener)
        return listener

    return register


def announce(kind: str, *args, **kwargs) -> list:
    """Calls every listener of `kind` in turn, in the caller's transaction,
    and returns what they returned. A listener's error reaches the caller."""
    return [listener(*args, **kwargs) for listener in _listeners[kind]]


def record(
    support_session: SupportSession,
    kind: str,
    participant: Participant | None = None,
    live: dict | None = None,
    **data,
) -> int:
    """Adds the event to the caller's transaction and returns its id.

    `data` is kept with the event; `live` only rides along to the sockets,
    so they can render without reading the database back. The event is the
    next link of the session's chain (audit.append), which keeps the
    session's row locked until the caller's transaction ends."""
    participant_id = participant.id if participant else None
    event_id = audit.append(support_session, kind, participant_id, data)
    author = (participant.id, participant.name) if participant is not None else None
    publish_after_commit(
        support_session.id, support_session.window_user_id, kind, event_id, data, live, author
    )
    return event_id


def publish_after_commit(
    support_session_id: int,
    window_user_id: int | None,
    kind: str,
    event_id: int,
    data: dict,
    live: dict | None = None,
    author: tuple[int, str] | None = None,
) -> None:
    """What `record` publishes once the caller's transaction commits, for a
    caller that wrote the event itself (chat.post_from_seat)."""
    message = {"kind": kind, "event_id": event_id, **data, **(live or {})}
    if author is not None:
        # Who did it: a socket tells its page (#announcer) without reading it back.
        message |= {"participant_id": author[0], "participant_name": author[1]}
    pending = db.session.info.setdefault(_PENDING, [])
    pending.append((support_session_id, message))
    if window_user_id is not None and kind != "chat":
        # The tab of this session in its rep's Flersessionsfönster (R3.4).
        pending.append((user_channel(window_user_id), message))


def notify_user(user_id: int, kind: str, **data) -> None:
    """Tells a staff member's own pages (tabs, incoming sessions) after commit."""
    db.session.info.setdefault(_PENDING, []).append((user_channel(user_id), {"kind": kind, **data}))


def notify_logged_out(user_id: int, login_hash: str | None) -> None:
    """After commit, closes the sockets of one login (or, with None, all of
    the user's): the user's own pages and every session they sit in."""
    message = {"kind": LOGGED_OUT, "user_id": user_id, "login": login_hash}
    sessions_in = db.session.scalars(
        sa.select(Participant.support_session_id)
        .join(SupportSession, Participant.support_session_id == SupportSession.id)
        .where(
            Participant.user_id == user_id,
            Participant.left_at.is_(None),
            SupportSession.state != SessionState.ENDED,
        )
        .distinct()
    )
    pending = db.session.info.setdefault(_PENDING, [])
    pending.append((user_channel(user_id), message))
    pending.extend((support_session_id, message) for support_session_id in sessions_in)


def bump_version(support_session: SupportSession) -> None:
    """Compare-and-set on the version column: of two racing writers one wins.

    The loser's UPDATE matches no row; it gets a 409 and its transaction
    (with whatever else it changed) rolls back.
    """
    result = db.session.execute(
        sa.update(SupportSession)
        .where(
            SupportSession.id == support_session.id,
            SupportSession.version == support_session.version,
        )
        .values(version=SupportSession.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ServiceError(
            _l("Someone else changed this session at the same moment. Please try again."),
            409,
        )
    so.attributes.set_committed_value(support_session, "version", support_session.version + 1)


def recheck(check: Callable[[], None], *rows) -> None:
    """After a lock or a compare-and-set: reads `rows` afresh and runs the
    same check again, since they may have been read before another writer
    committed. A refusal now rolls back what the caller wrote meanwhile."""
    for row in rows:
        db.session.refresh(row)
    try:
        check()
    except ServiceError:
        db.session.rollback()
        raise


def lock_open(support_session: SupportSession) -> None:
    """Serialises a join with a concurrent end (row lock on PostgreSQL; SQLite
    serialises writers anyway) without making two joins conflict."""
    state = db.session.scalar(
        sa.select(SupportSession.state)
        .where(SupportSession.id == support_session.id)
        .with_for_update()
    )
    if state == SessionState.ENDED:
        db.session.rollback()
        raise ServiceError(_l("This support session has ended."), 410)


@sa.event.listens_for(so.Session, "after_commit")
def _publish_after_commit(session: so.Session) -> None:
    events = session.info.pop(_PENDING, None)
    if not events:
        return
    live = current_app.extensions.get("live")
    if live is None:
        return
    for support_session_id, message in events:
        try:
            live.publish(support_session_id, message)
        except Exception:  # the change is saved: a 500 would say it was not
            log.exception(
                "could not publish %s on channel %s; pages catch up with the next event",
                message.get("kind"),
                support_session_id,
            )


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_after_rollback(session: so.Session) -> None:
    session.info.pop(_PENDING, None)
