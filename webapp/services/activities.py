"""Support activities (R7): sharing, video, voice and recording start and end
here; chat and file transfer get their rows from their own services.

Every way an activity ends goes through `end_running`, so "all activities
ended, each with a reason" (R3.2, R5.4, R6.4) is one call.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    MEDIA_KINDS,
    SHARING_KINDS,
    Activity,
    ActivityKind,
    EndReason,
    Participant,
    SessionState,
    SupportSession,
)
from webapp.models.base import utcnow
from webapp.services import audit, events
from webapp.services.errors import ServiceError

# What a page may start by itself; chat and files start with their first use.
STARTABLE = MEDIA_KINDS | {ActivityKind.RECORDING}
RECORDABLE = SHARING_KINDS | {ActivityKind.VIDEO}
NOT_A_PARTICIPANT = _l("You are not taking part in this session.")
# Rows that exist so that "every activity ended" can be checked (R5.4), but
# that the activities panel leaves out: chat and files have panels of their
# own. Their start changes no panel, so it costs no re-render on any socket;
# the first line of 200 sessions at once would otherwise cost 200 renders.
UNLISTED = frozenset({ActivityKind.CHAT, ActivityKind.FILE_TRANSFER})


def start_activity(actor: Participant, kind: str) -> Activity:
    """The controlling rep or a customer starts sharing or video, anyone
    present joins the voice call, only the controller records (R7, R4.2).
    Starting what already runs returns it."""
    support_session = actor.support_session
    _check_may_start(actor, kind)
    kind = ActivityKind(kind)
    existing = _running_of(actor, kind)
    if existing is not None:
        return existing
    # A transfer of control may commit between the check above and this
    # insert. Take the session's row lock (PostgreSQL) and the write lock
    # (SQLite, by the insert), then check again on fresh rows: either the
    # transfer saw this activity and ended it, or this sees the transfer.
    events.lock_open(support_session)
    activity = Activity(support_session_id=support_session.id, kind=kind, participant=actor)
    db.session.add(activity)
    db.session.flush()
    events.recheck(lambda: _check_may_start(actor, kind), support_session, actor)
    events.record(
        support_session, "activity_started", actor, activity_id=activity.id, activity_kind=kind
    )
    db.session.commit()
    return activity


def _check_may_start(actor: Participant, kind: str) -> None:
    support_session = actor.support_session
    require_present(actor)
    if support_session.state == SessionState.QUEUED:
        raise ServiceError(_l("The session is waiting for a support agent. Please wait."), 409)
    if kind not in STARTABLE:
        raise ServiceError(_l("This activity cannot be started here."), 400)
    if kind != ActivityKind.VOICE and not actor.may_share:
        raise ServiceError(_l("Only the representative in control can do that."), 403)
    if kind == ActivityKind.RECORDING:
        if not actor.is_controller:
            raise ServiceError(_l("Only the representative in control can record."), 403)
        if not any(a.kind in RECORDABLE for a in running(support_session.id)):
            raise ServiceError(_l("Nothing is being shared. Start a share or video first."), 409)
        # The customers' consent (#16 item 4); consent listens, as it ends recordings itself.
        events.announce(events.RECORDING_STARTING, support_session)


def end_activity(actor: Participant, activity_id: int, reason: str = EndReason.STOPPED) -> None:
    """Its owner stops an activity, or the controller stops anyone's."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.support_session_id != actor.support_session_id:
        raise ServiceError(_l("There is no such activity in this session."), 404)
    if activity.participant_id != actor.id and not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can do that."), 403)
    if activity.ended_at is not None:
        return
    _end([activity], reason)
    events.record(actor.support_session, "activities_ended", actor, reason=reason)
    db.session.commit()


def end_running(
    support_session: SupportSession,
    reason: str,
    *,
    kinds: frozenset[str] | None = None,
    participant: Participant | None = None,
    keep: frozenset[str] = frozenset(),
) -> list[Activity]:
    """Ends the session's running activities (of `kinds`, of `participant`)
    with `reason`, in the caller's transaction; the caller commits."""
    ended = [
        activity
        for activity in running(support_session.id)
        if (kinds is None or activity.kind in kinds)
        and (participant is None or activity.participant_id == participant.id)
        and activity.kind not in keep
    ]
    if ended:
        _end(ended, reason)
        events.record(support_session, "activities_ended", None, reason=reason)
    return ended


def ensure_running(actor: Participant, kind: ActivityKind) -> int:
    """Chat and file transfer run from their first use until something ends
    them (R5.4); returns the running row's id, starting one if there is none."""
    # Two first uses at once start one row: the check waits for the chain's
    # lock, which the event below takes anyway.
    audit.lock_chain(actor.support_session_id)
    activity_id = db.session.scalar(
        sa.select(Activity.id).where(
            Activity.support_session_id == actor.support_session_id,
            Activity.kind == kind,
            Activity.ended_at.is_(None),
        )
    )
    if activity_id is None:
        activity_id = db.session.execute(
            sa.insert(Activity)
            .values(support_session_id=actor.support_session_id, kind=kind, participant_id=actor.id)
            .returning(Activity.id)
        ).scalar_one()
        events.record(
            actor.support_session,
            "activity_started",
            actor,
            activity_id=activity_id,
            activity_kind=kind,
        )
    return activity_id


def running(support_session_id: int) -> list[Activity]:
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(Activity.support_session_id == support_session_id, Activity.ended_at.is_(None))
            .order_by(Activity.id)
        )
    )


def listed(support_session_id: int) -> tuple[int, list[Activity]]:
    """What the activities panel shows, and its mark: the newest listed row of
    the session, running or not. A page that started row N and sees a panel
    whose mark is N or more without N knows the server ended it, even when
    coalesced pushes never showed N running. One statement, so the mark and
    the rows are one snapshot; listed rows are started one at a time per
    session (`start_activity` locks), so their ids follow commit order."""
    listed_of_session = sa.and_(
        Activity.support_session_id == support_session_id, Activity.kind.not_in(UNLISTED)
    )
    newest_listed = (
        sa.select(sa.func.coalesce(sa.func.max(Activity.id), 0).label("id"))
        .where(listed_of_session)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(newest_listed.c.id, Activity)
        .select_from(newest_listed)
        .outerjoin(Activity, sa.and_(listed_of_session, Activity.ended_at.is_(None)))
        .order_by(Activity.id)
    ).all()
    return rows[0][0], [activity for _, activity in rows if activity is not None]


def report_microphone(participant: Participant, has_microphone: bool) -> None:
    """A page tells whether its browser has a microphone (R5.5)."""
    if participant.has_microphone != has_microphone:
        participant.has_microphone = has_microphone
        events.record(
            participant.support_session,
            "microphone_reported",
            participant,
            has_microphone=has_microphone,
        )
        db.session.commit()


def _running_of(actor: Participant, kind: ActivityKind) -> Activity | None:
    return db.session.scalar(
        sa.select(Activity).where(
            Activity.support_session_id == actor.support_session_id,
            Activity.participant_id == actor.id,
            Activity.kind == kind,
            Activity.ended_at.is_(None),
        )
    )


def require_present(actor: Participant) -> None:
    """The actor is in the session, and it is open: else a clear refusal."""
    if not actor.support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    if actor.left_at is not None:
        raise ServiceError(_l("You are no longer in this session."), 403)


def _end(ended: list[Activity], reason: str) -> None:
    """Ends the rows; a recording whose last share or video ended stops too,
    since there is nothing left to record (its upload still comes)."""
    now = utcnow()
    for activity in ended:
        activity.ended_at = now
        activity.end_reason = reason
    if not any(activity.kind in RECORDABLE for activity in ended):
        return
    db.session.flush()
    still = running(ended[0].support_session_id)
    if not any(activity.kind in RECORDABLE for activity in still):
        for recording in (a for a in still if a.kind == ActivityKind.RECORDING):
            recording.ended_at, recording.end_reason = now, EndReason.NOTHING_TO_RECORD
