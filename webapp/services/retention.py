"""Removing what ended sessions kept, past the retention the admin set (#13 item 7).

The session row, its participants and its activities stay (who helped whom,
and when, is what history and reports are made of); its files and recordings
on disk, its chat, its staff notes and its events go. The events go whole, under the
session's chain lock, with a signed tombstone that `flask audit verify`
checks in their place (webapp/services/audit.py).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import (
    ChatMessage,
    SessionEvent,
    SessionFile,
    SessionRating,
    SessionState,
    StaffNote,
    SupportSession,
)
from webapp.models.base import utcnow
from webapp.services import audit

BATCH = 500


@dataclass
class Purged:
    sessions: int = 0
    files: int = 0
    recordings: int = 0
    bytes: int = 0
    chat_lines: int = 0
    events: int = 0
    missing_on_disk: list[str] = field(default_factory=list)


def purge_ended_before(cutoff: datetime) -> Purged:
    purged = Purged()
    while ids := list(
        db.session.scalars(
            sa.select(SupportSession.id)
            .where(
                SupportSession.state == SessionState.ENDED,
                SupportSession.ended_at < cutoff,
                sa.or_(
                    sa.exists().where(SessionFile.support_session_id == SupportSession.id),
                    sa.exists().where(ChatMessage.support_session_id == SupportSession.id),
                    sa.exists().where(SessionEvent.support_session_id == SupportSession.id),
                    sa.exists().where(StaffNote.support_session_id == SupportSession.id),
                ),
            )
            .order_by(SupportSession.id)
            .limit(BATCH)
        )
    ):
        _purge_sessions(ids, purged)
    return purged


def purge_older_than(days: int, now: datetime | None = None) -> Purged:
    return purge_ended_before((now or utcnow()) - timedelta(days=days))


def _purge_sessions(ids: list[int], purged: Purged) -> None:
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    stored = db.session.execute(
        sa.select(SessionFile.support_session_id, SessionFile.stored_name, SessionFile.purpose,
                  SessionFile.size)
        .where(SessionFile.support_session_id.in_(ids))
    ).all()  # fmt: skip
    audit.prepare_purge(ids)
    for table, counter in ((ChatMessage, "chat_lines"), (SessionEvent, "events")):
        removed = db.session.execute(sa.delete(table).where(table.support_session_id.in_(ids)))
        setattr(purged, counter, getattr(purged, counter) + removed.rowcount)
    for table in (SessionFile, StaffNote):
        db.session.execute(sa.delete(table).where(table.support_session_id.in_(ids)))
    # A rating's comment is what the customer typed, like a chat line; its
    # score stays for the reports (#16 item 4).
    db.session.execute(
        sa.update(SessionRating)
        .where(SessionRating.support_session_id.in_(ids))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    # Files go after the rows: a crash in between leaves files no row names,
    # never a row whose download fails.
    for support_session_id, stored_name, purpose, size in stored:
        path = upload_dir / str(support_session_id) / stored_name
        try:
            path.unlink()
        except FileNotFoundError:
            purged.missing_on_disk.append(str(path))
        if purpose == "recording":
            purged.recordings += 1
        else:
            purged.files += 1
        purged.bytes += size
    for support_session_id in ids:
        directory = upload_dir / str(support_session_id)
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    purged.sessions += len(ids)
