"""Filöverföring and stored recordings (R7, issue #5).

Uploads land outside `static` under a generated name, so neither a name a
participant chose nor the web server's static handler ever reaches them; they
are only sent back through `open_for_download`, to the session's participants.
"""

import secrets
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from webapp.extensions import db
from webapp.models import (
    ActivityKind,
    FilePurpose,
    Participant,
    SessionFile,
    SessionState,
    SupportSession,
    User,
)
from webapp.services import activities, events
from webapp.services.errors import ServiceError
from webapp.services.text import is_control

MB = 1024 * 1024
NAME_MAX = 255
_CHUNK = 64 * 1024

NO_FILE = _l("Choose a file to send.")
NO_SUCH_FILE = _l("There is no such file in this session.")
NOT_A_PARTICIPANT = activities.NOT_A_PARTICIPANT
NO_SUCH_RECIPIENT = _l("Choose someone who is taking part in this session.")


def share_file(sender: Participant, upload: FileStorage, recipient_id: int | None) -> SessionFile:
    """A present participant sends a file to everyone, or to one other
    present participant of the same session."""
    activities.require_present(sender)
    name = checked_name(upload.filename)
    if recipient_id is not None:
        _require_recipient(sender, recipient_id)
    stored_name, path, size = _store(upload, sender.support_session_id, FilePurpose.FILE)
    try:
        events.lock_open(sender.support_session)
        shared = add_row(sender, FilePurpose.FILE, name, stored_name, upload.mimetype, size)
        shared.recipient_id = recipient_id
        shared.activity_id = activities.ensure_running(sender, ActivityKind.FILE_TRANSFER)
        db.session.flush()
        events.record(
            sender.support_session,
            "file_shared",
            sender,
            recipient_id=recipient_id,
            file_id=shared.id,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return shared


def visible_files(viewer: Participant) -> list[SessionFile]:
    return _visible(viewer)["files"]


def recordings(viewer: Participant) -> list[SessionFile]:
    return _visible(viewer)["recordings"]


def for_page(viewer: Participant) -> dict[str, list[SessionFile]]:
    """`files` and `recordings` of a session page, in one query."""
    return _visible(viewer)


def open_for_download(
    viewer: Participant, file_id: int, purpose: FilePurpose = FilePurpose.FILE
) -> tuple[Path, SessionFile]:
    """While the session is open its present participants download what they
    may see; once it has ended, only its staff (what was kept is theirs)."""
    stored = db.session.get(SessionFile, file_id)
    support_session = viewer.support_session
    allowed = (
        stored is not None
        and stored.purpose == purpose
        and stored.support_session_id == support_session.id
        and (viewer.is_present if support_session.is_open else viewer.is_staff)
        and _may_see(viewer, stored)
    )
    path = path_of(stored) if allowed else None
    if path is None or not path.is_file():
        raise ServiceError(NO_SUCH_FILE, 404)
    return path, stored


def former_staff_seat(support_session_id: int, user: User) -> Participant | None:
    """The user's staff seat in a session that has ended: every seat has
    `left_at` then, yet the staff keep access to what the session kept."""
    return db.session.scalar(
        sa.select(Participant)
        .join(SupportSession, SupportSession.id == Participant.support_session_id)
        .options(so.contains_eager(Participant.support_session))
        .where(
            Participant.support_session_id == support_session_id,
            Participant.user_id == user.id,
            SupportSession.state == SessionState.ENDED,
        )
        .order_by(Participant.id.desc())
        .limit(1)
    )


def too_large(purpose: FilePurpose) -> ServiceError:
    """The refusal for an upload over the limit, whoever notices it first:
    the copy to disk here, or Werkzeug reading the request body."""
    if purpose == FilePurpose.RECORDING:
        limit = current_app.config["RECORDING_MAX_BYTES"] // MB
        message = _l("The recording is larger than the limit of %(mb)d MB.", mb=limit)
    else:
        limit = current_app.config["FILE_MAX_BYTES"] // MB
        message = _l("The file is larger than the limit of %(mb)d MB.", mb=limit)
    return ServiceError(message, 413, field="file")


def checked_name(name: str | None) -> str:
    """The name as the sender's system spelled it (å, ä, ö kept, unlike
    `secure_filename`), refused when it could name a path or fool a header."""
    if not name or not name.strip():
        raise ServiceError(NO_FILE, 400, field="file")
    if len(name) > NAME_MAX:
        raise ServiceError(
            _l("The file name is too long: at most %(max)d characters.", max=NAME_MAX),
            400,
            field="file",
        )
    if (
        name in (".", "..")
        or "/" in name
        or "\\" in name
        # Bidi overrides and isolates turn "exe.txt" into what reads as "txt.exe".
        or any(is_control(ch) for ch in name)
    ):
        raise ServiceError(
            _l("This file name cannot be used. Rename the file and try again."),
            400,
            field="file",
        )
    return name


def _store(upload: FileStorage, support_session_id: int, purpose: FilePurpose):
    """Copies the upload to disk, counting the bytes itself: Content-Length is
    whatever the client claimed. Returns (stored name, path, size)."""
    limit_key = "RECORDING_MAX_BYTES" if purpose == FilePurpose.RECORDING else "FILE_MAX_BYTES"
    limit = current_app.config[limit_key]
    room = room_left(support_session_id)
    stored_name, path = new_stored_path(support_session_id)
    size = 0
    try:
        with path.open("xb") as target:
            while chunk := upload.stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(purpose)
                if size > room:
                    raise no_room()
                target.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored_name, path, size


def new_stored_path(support_session_id: int) -> tuple[str, Path]:
    """A fresh generated name in the session's upload folder."""
    directory = Path(current_app.config["UPLOAD_DIR"]) / str(support_session_id)
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    return stored_name, directory / stored_name


def no_room() -> ServiceError:
    return ServiceError(
        _l("There is no room for more files here. The file was not sent."), 413, field="file"
    )


def room_left(support_session_id: int) -> int:
    """Bytes this upload may still take under the session's and the site's
    quotas (#13 item 7): the per-file limit alone lets a customer without an
    account send files until the disk is full."""
    stored = sa.func.coalesce(sa.func.sum(SessionFile.size), 0)
    in_session, in_all = db.session.execute(
        sa.select(
            sa.select(stored)
            .where(SessionFile.support_session_id == support_session_id)
            .scalar_subquery(),
            sa.select(stored).scalar_subquery(),
        )
    ).one()
    config = current_app.config
    room = min(
        config["SESSION_UPLOAD_QUOTA_BYTES"] - in_session, config["UPLOAD_QUOTA_BYTES"] - in_all
    )
    if room <= 0:
        raise no_room()
    return room


def add_row(
    sender: Participant,
    purpose: FilePurpose,
    name: str,
    stored_name: str,
    content_type: str | None,
    size: int,
) -> SessionFile:
    row = SessionFile(
        support_session_id=sender.support_session_id,
        purpose=purpose,
        sender_id=sender.id,
        original_name=name,
        stored_name=stored_name,
        # Only kept for the record: downloads always go out as octet-stream.
        content_type=(content_type or "application/octet-stream")[:127],
        size=size,
    )
    db.session.add(row)
    return row


def _visible(viewer: Participant) -> dict[str, list[SessionFile]]:
    purposes = [FilePurpose.FILE, *([FilePurpose.RECORDING] if viewer.is_staff else [])]
    rows = db.session.scalars(
        sa.select(SessionFile)
        .options(so.joinedload(SessionFile.recipient))
        .where(
            SessionFile.support_session_id == viewer.support_session_id,
            SessionFile.purpose.in_(purposes),
        )
        .order_by(SessionFile.id)
    )
    shown = [row for row in rows if _may_see(viewer, row)]
    return {
        "files": [row for row in shown if row.purpose == FilePurpose.FILE],
        "recordings": [row for row in shown if row.purpose == FilePurpose.RECORDING],
    }


def _may_see(viewer: Participant, stored: SessionFile) -> bool:
    """Staff see every file and recording; a customer the files addressed to
    them, and those sent to everyone since they joined (#13 item 5)."""
    if stored.purpose == FilePurpose.RECORDING:
        return viewer.is_staff
    if stored.sender_id == viewer.id or stored.recipient_id == viewer.id:
        return True
    if stored.recipient_id is not None:
        return False
    return viewer.is_staff or stored.created_at >= viewer.joined_at


def path_of(stored: SessionFile) -> Path:
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    return upload_dir / str(stored.support_session_id) / stored.stored_name


def _require_recipient(sender: Participant, recipient_id: int) -> None:
    recipient = db.session.get(Participant, recipient_id)
    if (
        recipient is None
        or recipient.id == sender.id
        or recipient.support_session_id != sender.support_session_id
        or recipient.left_at is not None
    ):
        raise ServiceError(NO_SUCH_RECIPIENT, 400, field="recipient")
