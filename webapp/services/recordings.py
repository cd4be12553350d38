"""Inspelning stored while it runs (R7, #14 item 4).

The recording rep's page sends a chunk every few seconds, each with its byte
offset in the recording: the file on disk grows in order, a chunk sent twice
(its answer lost on the way back) is taken once, and a tab that closes or
crashes loses at most the chunk it had not yet sent. The file is listed from
its first chunk, and its WebM duration is right after every chunk.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, pgettext
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import Activity, ActivityKind, EndReason, FilePurpose, Participant, SessionFile
from webapp.models.base import utcnow
from webapp.services import activities, consent, events, files, webm
from webapp.services.errors import ServiceError

# A chunk may still arrive this long after its activity ended: the page
# stops its recorder when it hears of the end, then sends what it holds.
LATE_CHUNK_SECONDS = 60
# A page's clock runs beside the server's: how far ahead of the server's
# count of the activity a recording's own duration may claim to be.
DURATION_SLACK_SECONDS = 5

NO_SUCH_RECORDING = _l("There is no such recording in this session.")
CHUNK_TOO_LARGE = _l("This part of the recording is too large to send.")


@dataclass(frozen=True)
class Chunk:
    offset: int  # bytes of the recording before this chunk
    data: bytes
    elapsed_ms: int  # how much the recording holds up to this chunk's end


def receive(owner: Participant, activity_id: int, chunk: Chunk | None, locale: str):
    """Stores one chunk of the owner's recording (None: the recorder stopped
    and has sent everything). Returns the recording's row, or None while
    nothing was recorded."""
    activity = _own_recording(owner, activity_id)
    recording = _recording(activity)
    if chunk is not None and chunk.data:
        # Whatever the rep's page sends, nothing is kept without consent (#16 item 4).
        consent.require_allowed(owner.support_session)
        if recording is None:
            if chunk.offset != 0:
                raise OutOfOrderError(0)
            recording = _start(owner, activity, chunk, locale)
        else:
            _append(recording, chunk)
        _set_duration(recording, activity, chunk.elapsed_ms)
    if chunk is None and activity.is_running:
        # Only one recording of an owner runs at a time, so this ends this one.
        activities.end_running(
            owner.support_session,
            EndReason.COMPLETED,
            kinds=frozenset({ActivityKind.RECORDING}),
            participant=owner,
        )
        if recording is not None:  # its final size, on the staff's pages
            events.record(owner.support_session, "recording_finished", owner, file_id=recording.id)
    db.session.commit()
    return recording


def _own_recording(owner: Participant, activity_id: int) -> Activity:
    # Only the activity row: its seat is joined in, and PostgreSQL locks no outer join.
    activity = db.session.get(Activity, activity_id, with_for_update={"of": Activity})
    if (
        activity is None
        or activity.support_session_id != owner.support_session_id
        or activity.kind != ActivityKind.RECORDING
    ):
        raise ServiceError(NO_SUCH_RECORDING, 404)
    if activity.participant_id != owner.id:
        raise ServiceError(_l("Only the representative who recorded can store the recording."), 403)
    if activity.ended_at is not None and utcnow() - activity.ended_at > timedelta(
        seconds=LATE_CHUNK_SECONDS
    ):
        raise ServiceError(_l("This recording has ended; nothing more can be added to it."), 409)
    return activity


def _recording(activity: Activity) -> SessionFile | None:
    return db.session.scalar(
        sa.select(SessionFile).where(
            SessionFile.activity_id == activity.id,
            SessionFile.purpose == FilePurpose.RECORDING,
        )
    )


def _start(owner: Participant, activity: Activity, chunk: Chunk, locale: str) -> SessionFile:
    try:
        data = webm.make_room_for_duration(chunk.data)
    except (ValueError, IndexError):
        data = chunk.data  # still a recording, only without its length
    _require_room(owner.support_session_id, 0, len(data))
    support_session = owner.support_session
    with force_locale(locale):  # named in the recorder's language (R8)
        stem = pgettext("file name", "recording")
    name = f"{stem}-{support_session.number}-{activity.started_at:%Y%m%d-%H%M%S}.webm"
    stored_name, path = files.new_stored_path(support_session.id)
    path.write_bytes(data)
    try:
        recording = files.add_row(
            owner, FilePurpose.RECORDING, name, stored_name, "video/webm", len(data)
        )
        recording.activity_id = activity.id
        db.session.flush()
        # Listed from its first chunk: a tab that closes now keeps this much.
        events.record(support_session, "recording_stored", owner, file_id=recording.id)
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return recording


def _append(recording: SessionFile, chunk: Chunk) -> None:
    end = chunk.offset + len(chunk.data)
    if end <= recording.size:
        return  # sent again after its answer was lost: already here
    if chunk.offset != recording.size:
        raise OutOfOrderError(recording.size)
    _require_room(recording.support_session_id, recording.size, len(chunk.data))
    # Claims the range first: of two copies of one chunk, one appends.
    claimed = db.session.execute(
        sa.update(SessionFile)
        .where(SessionFile.id == recording.id, SessionFile.size == chunk.offset)
        .values(size=end)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise OutOfOrderError(None)
    with files.path_of(recording).open("r+b") as file:
        file.seek(chunk.offset)
        file.write(chunk.data)
    recording.size = end


def _set_duration(recording: SessionFile, activity: Activity, elapsed_ms: int) -> None:
    """The page counts the recording's length; the server caps it by its own
    count of the activity, so a page cannot claim hours for seconds."""
    ran_until = activity.ended_at or utcnow()
    ran = (ran_until - activity.started_at).total_seconds() + DURATION_SLACK_SECONDS
    if elapsed_ms > 0:
        webm.write_duration(files.path_of(recording), min(elapsed_ms, ran * 1000))


def _require_room(support_session_id: int, size: int, more: int) -> None:
    if size + more > current_app.config["RECORDING_MAX_BYTES"]:
        raise files.too_large(FilePurpose.RECORDING)
    if more > files.room_left(support_session_id):
        raise files.no_room()


class OutOfOrderError(ServiceError):
    """A chunk that does not start where the file ends; `expected` tells the
    page where to go on from (None: another copy of it is being stored)."""

    def __init__(self, expected: int | None):
        super().__init__(_l("A part of the recording is missing. It is sent again."), 409)
        self.expected = expected
