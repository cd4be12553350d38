"""Starting, joining, leaving and ending support sessions (R1, R2.5, R1.5)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import (
    MEDIA_KINDS,
    ActivityKind,
    EndReason,
    Invitation,
    Participant,
    ParticipantRole,
    SessionState,
    SupportSession,
    User,
)
from webapp.models.base import utcnow
from webapp.services import activities, customers, events, invitations
from webapp.services.errors import ServiceError
from webapp.services.secrets_ import digest, new_session_number, new_token
from webapp.services.validation import clean_name

# How far apart two app machines' clocks may be when one makes a seat and the
# other sets its presence deadline.
CLOCK_SKEW = timedelta(seconds=0.5)


def start_session(rep: User, window: bool = False) -> tuple[SupportSession, Participant]:
    """R1.1: the rep becomes the session's first participant and its controller;
    with `window` the session is a tab of the rep's Flersessionsfönster (R3.4)."""
    customers.check_may_start(rep)
    support_session = add_numbered_session(
        started_by=rep, window_user_id=rep.id if window else None
    )
    rep_participant = Participant(
        support_session=support_session,
        role=ParticipantRole.REP,
        user=rep,
        name=rep.name,
    )
    db.session.add(rep_participant)
    db.session.flush()
    support_session.controller = rep_participant
    events.record(support_session, "started", rep_participant)
    db.session.commit()
    return support_session, rep_participant


def add_numbered_session(**columns) -> SupportSession:
    """The one place a session gets its number: a new row, in the caller's
    transaction, under a random number drawn again if another session has
    it (the unique index says so)."""
    for _attempt in range(5):
        support_session = SupportSession(number=new_session_number(), **columns)
        db.session.add(support_session)
        try:
            db.session.flush()
        except IntegrityError:  # the number is taken; draw again
            db.session.rollback()
            continue
        return support_session
    # Five collisions in 9e8 numbers:
    raise ServiceError(_l("Could not start a session. Please try again."), 409)  # pragma: no cover


def start_window_session(rep: User) -> SupportSession:
    """R3.4: in the Flersessionsfönster each customer gets a session of its
    own; inviting opens a new one, shown as a tab."""
    customers.check_may_open_window_session(rep)
    return start_session(rep, window=True)[0]


def find_open_by_number(number: str) -> SupportSession:
    """One message for unknown and ended numbers, so nobody learns which exist."""
    digits = "".join(ch for ch in number if not ch.isspace())
    support_session = None
    if len(digits) == 9 and digits.isdecimal():
        support_session = db.session.scalar(
            sa.select(SupportSession).where(SupportSession.number == digits)
        )
    if support_session is None or not support_session.is_open:
        raise ServiceError(
            _l(
                "There is no open support session with that number. Check the number and try again."
            ),
            404,
            field="number",
        )
    return support_session


def join_as_customer(
    support_session: SupportSession, name: str, email: str | None = None
) -> tuple[Participant, str]:
    """R2.5: a customer takes a seat; returns the seat and the secret the browser keeps."""
    name = clean_name(name)
    if not support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    events.lock_open(support_session)
    customers.hold_seat_for(support_session)
    customer, secret = seat_customer(support_session, name, email)
    events.record(support_session, "joined", customer)
    db.session.commit()
    return customer, secret


def join_with_invitation(
    invitation: Invitation, name: str, held_seat: Participant | None
) -> tuple[Participant, str]:
    """R2.5 by a customer's link, which is single-use (#13): the seat and the
    link's claim are one transaction. `held_seat` is the seat this browser
    already had in the session, if any (coming back after leaving)."""
    support_session = invitation.support_session
    name = clean_name(name)
    held_seat_id = held_seat.id if held_seat is not None else None
    invitations.check_not_used_elsewhere(invitation, held_seat_id)
    if not support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    events.lock_open(support_session)
    customers.hold_seat_for(support_session)
    customer, secret = seat_customer(support_session, name, invitation.email)
    invitations.claim(invitation, customer, held_seat_id)
    events.record(support_session, "joined", customer)
    db.session.commit()
    return customer, secret


def seat_customer(
    support_session: SupportSession, name: str, email: str | None
) -> tuple[Participant, str]:
    """A customer's seat, in the caller's transaction; the first customer is
    the one helped (R3.1). Returns the seat and the secret its browser keeps."""
    secret = new_token()
    customer = Participant(
        support_session=support_session,
        role=ParticipantRole.CUSTOMER,
        name=name,
        email=email,
        secret_hash=digest(secret),
        # The language of the page the customer joined from (R8): the rep's
        # canned replies go out in it.
        locale=str(get_locale()),
    )
    db.session.add(customer)
    db.session.flush()
    if support_session.helped_participant_id is None:
        support_session.helped = customer
    events.announce(events.CUSTOMER_SEATED, support_session, customer)
    return customer, secret


def customer_by_secret(support_session_id: int, secret: str | None) -> Participant | None:
    if not secret:
        return None
    return db.session.scalar(
        sa.select(Participant).where(
            Participant.support_session_id == support_session_id,
            Participant.secret_hash == digest(secret),
            Participant.role == ParticipantRole.CUSTOMER,
        )
    )


def staff_participant(
    support_session_id: int, user: User, with_participants: bool = False
) -> Participant | None:
    """The user's present seat in the session, if they have one, with the
    session loaded in the same query (every caller reads it next); for a
    page that lists them, the session's participants too: one round trip
    where the page made two (#18)."""
    session_of_seat = so.joinedload(Participant.support_session)
    if with_participants:
        session_of_seat = session_of_seat.joinedload(SupportSession.participants)
    seats = db.session.scalars(
        sa.select(Participant)
        .options(session_of_seat)
        .where(
            Participant.support_session_id == support_session_id,
            Participant.user_id == user.id,
            Participant.left_at.is_(None),
        )
    )
    return seats.unique().first()


def participant_with_session(participant_id: int) -> Participant | None:
    return db.session.scalar(
        sa.select(Participant)
        .options(so.joinedload(Participant.support_session))
        .where(Participant.id == participant_id)
    )


def open_sessions_of(user: User) -> list[SupportSession]:
    return list(
        db.session.scalars(
            sa.select(SupportSession)
            .join(Participant, Participant.support_session_id == SupportSession.id)
            .where(
                Participant.user_id == user.id,
                Participant.left_at.is_(None),
                SupportSession.state != SessionState.ENDED,
            )
            .order_by(SupportSession.id.desc())
        )
    )


def ended_sessions_of(user: User, limit: int = 10) -> list[SupportSession]:
    """The newest ended sessions the user took part in: their chat, files
    and recordings stay reachable (R7)."""
    return list(
        db.session.scalars(
            sa.select(SupportSession)
            .where(
                SupportSession.state == SessionState.ENDED,
                SupportSession.id.in_(
                    sa.select(Participant.support_session_id).where(Participant.user_id == user.id)
                ),
            )
            .order_by(SupportSession.ended_at.desc())
            .limit(limit)
        )
    )


def leave(participant: Participant, reason: str = EndReason.LEFT) -> None:
    """A customer or assistant goes; the controller must end or hand over instead (R5.3)."""
    support_session = participant.support_session
    if participant.left_at is not None or not support_session.is_open:
        return
    if participant.is_controller:
        raise ServiceError(
            _l("You are in control of this session. End it, or hand control over first."),
            409,
        )
    events.bump_version(support_session)
    # The compare-and-set vouches for the session row, not for this seat,
    # which may have been read before it: the same seat may have left since.
    db.session.refresh(participant)
    if participant.left_at is not None:
        db.session.rollback()
        return
    participant.left_at = utcnow()
    participant.left_reason = reason
    if support_session.helped_participant_id == participant.id:
        support_session.helped = None
    activities.end_running(support_session, EndReason.LEFT, participant=participant)
    events.record(support_session, "left", participant)
    db.session.commit()
    events.announce(events.SEATS_CLOSED, support_session, {participant.user_id} - {None})


def end_session(actor: Participant, reason: str = EndReason.ENDED_BY_REP) -> None:
    """R1.5: only the controller ends a session; everyone's seat closes with it."""
    support_session = actor.support_session
    if not support_session.is_open:
        return
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can end the session."), 403)
    _close(support_session, actor, reason)


def participant_gone(
    support_session_id: int, participant_id: int, deadline_set_at: datetime | None = None
) -> bool:
    """Called by presence when a participant's grace period ran out: a gone
    controller ends the session (R1.5); anyone else's media stop, since the
    page that held them is closed. True when the session ended.

    A deadline set before this seat existed is someone else's (a database
    recreated while Redis kept its keys, #19) and changes nothing."""
    gone = db.session.get(Participant, participant_id)
    if gone is None or gone.support_session_id != support_session_id:
        return False
    if deadline_set_at is not None and gone.joined_at > deadline_set_at + CLOCK_SKEW:
        return False
    support_session = gone.support_session
    if not support_session.is_open:
        return False
    if support_session.controller_id != participant_id:
        activities.end_running(
            support_session,
            EndReason.DISCONNECTED,
            kinds=MEDIA_KINDS,
            participant=gone,
        )
        db.session.commit()
        return False
    try:
        _close(support_session, support_session.controller, EndReason.CONTROLLER_GONE)
    except ServiceError:  # another process or request ended or changed it first
        return False
    return True


def end_abandoned(support_session: SupportSession) -> None:
    """R6: everyone left a session while it waited for an agent."""
    _close(support_session, None, EndReason.ABANDONED)


def _close(support_session: SupportSession, actor: Participant | None, reason: str) -> None:
    events.bump_version(support_session)
    staff_ids = {p.user_id for p in support_session.present_participants() if p.user_id}
    now = utcnow()
    support_session.state = SessionState.ENDED
    support_session.ended_at = now
    support_session.end_reason = reason
    for participant in support_session.participants:
        if participant.left_at is None:
            participant.left_at = now
            participant.left_reason = EndReason.SESSION_ENDED
    activities.end_running(support_session, EndReason.SESSION_ENDED)
    # In the same commit as the end: no agent's place is ever held by a
    # session that is over, even if what follows fails (#13 item 3).
    offered_ids = set().union(*events.announce(events.SESSION_CLOSING, support_session))
    events.record(support_session, "ended", actor, reason=reason)
    db.session.commit()
    # R6.6: agents freed
    events.announce(events.SEATS_CLOSED, support_session, staff_ids, offered_ids)


def assist(rep: User, support_session: SupportSession) -> Participant:
    """R4.1: a logged-in rep joins without control; a second call finds the same seat."""
    if not support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    seat = staff_participant(support_session.id, rep)
    if seat is not None:
        return seat
    events.lock_open(support_session)
    seat = Participant(
        support_session=support_session,
        role=ParticipantRole.ASSISTANT,
        user=rep,
        name=rep.name,
    )
    db.session.add(seat)
    db.session.flush()
    events.record(support_session, "joined", seat)
    db.session.commit()
    return seat


def transfer_control(actor: Participant, to_participant: Participant) -> None:
    """R5.1-R5.2, R5.6: the controller hands control to a rep present as an
    assistant; the two swap roles, so handing it back is the same call."""
    support_session = actor.support_session
    if not support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can transfer control."), 403)
    _require_present_assistant(support_session, to_participant)
    customers.check_room_for(to_participant.user, support_session)
    events.bump_version(support_session)
    # The compare-and-set vouches for the session row, not for the assistant,
    # which may have been read before it: a controller who has left since
    # would strand the session (#7).
    events.recheck(
        lambda: _require_present_assistant(support_session, to_participant), to_participant
    )
    support_session.controller = to_participant
    to_participant.role = ParticipantRole.REP
    actor.role = ParticipantRole.ASSISTANT
    # R5.4: every activity ends; R5.5: a voice call goes on only when the new
    # controller's browser reported a microphone.
    keep = frozenset({ActivityKind.VOICE}) if to_participant.has_microphone else frozenset()
    activities.end_running(support_session, EndReason.CONTROL_TRANSFERRED, keep=keep)
    events.record(
        support_session, "control_transferred", actor, to_participant_id=to_participant.id
    )
    db.session.commit()


def _require_present_assistant(support_session: SupportSession, seat: Participant) -> None:
    if (
        seat.support_session_id != support_session.id
        or seat.role != ParticipantRole.ASSISTANT
        or seat.left_at is not None
    ):
        raise ServiceError(
            _l("Choose a support representative who is taking part as an assistant."), 400
        )


def assistants_of(support_session: SupportSession) -> list[Participant]:
    return [
        participant
        for participant in support_session.present_participants()
        if participant.role == ParticipantRole.ASSISTANT
    ]
