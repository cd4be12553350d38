"""Inspelning stored while it runs (R7, #14 item 4): chunks in order, a
chunk sent twice taken once, who may add, limits, and the WebM duration."""

import struct
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import (
    allow_recording,
    event_kinds,
    make_customer,
    make_rep,
    make_support_session,
)
from webapp.extensions import db
from webapp.models import ActivityKind, EndReason
from webapp.services import activities, files, recordings, sessions, webm
from webapp.services.errors import ServiceError
from webapp.services.recordings import Chunk

# The start of a WebM file as Chromium's MediaRecorder writes it: the EBML
# header, a Segment of unknown size, and an Info without a Duration
# (TimecodeScale 1 ms, MuxingApp and WritingApp "Chrome"), then Tracks.
CHROME_HEAD = bytes.fromhex(
    "1a45dfa39f4286810142f7810142f2810442f381084282847765626d4287810442858102"
    "1853806701ffffffffffffff"
    "1549a966992ad7b1830f42404d80864368726f6d655741864368726f6d65"
    "1654ae6bbdaebbd7810173c5874206ecad59bfc18381"
)


def start_recording(rep_seat):
    activities.start_activity(rep_seat, ActivityKind.VIDEO)
    allow_recording(rep_seat.support_session)
    return activities.start_activity(rep_seat, ActivityKind.RECORDING)


def send(owner, recording, offset: int, data: bytes, elapsed_ms: int = 1000):
    return recordings.receive(owner, recording.id, Chunk(offset, data, elapsed_ms), "sv")


def duration_ms(path: Path) -> float:
    head = path.read_bytes()[: webm.HEAD_BYTES]
    at = head.index(bytes([0x44, 0x89, 0x84]))
    return struct.unpack(">f", head[at + 3 : at + 7])[0]


def test_chunks_are_appended_in_order_and_listed_from_the_first(app):
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session)
    recording = start_recording(rep_seat)
    recording.started_at -= timedelta(seconds=10)  # as if it had run this long
    stored = send(rep_seat, recording, 0, CHROME_HEAD)
    # Listed for the staff at once, named in the recorder's language (R8).
    assert files.recordings(rep_seat) == [stored]
    assert stored.original_name.startswith(f"inspelning-{support_session.number}-")
    assert files.recordings(kim) == [] and files.visible_files(kim) == []
    assert "recording_stored" in event_kinds(support_session)
    send(rep_seat, recording, len(CHROME_HEAD), b"second", 4000)
    send(rep_seat, recording, len(CHROME_HEAD) + 6, b"third", 7000)
    path = files.path_of(stored)
    assert path.read_bytes()[len(CHROME_HEAD) :] == b"secondthird"
    assert len(path.read_bytes()) == len(CHROME_HEAD) + 11 == stored.size
    assert duration_ms(path) == 7000.0
    db.session.refresh(recording)
    assert recording.is_running  # a chunk does not stop it

    # The recorder's stop ends the activity and keeps the file as it is.
    assert recordings.receive(rep_seat, recording.id, None, "sv") == stored
    db.session.refresh(recording)
    assert recording.end_reason == EndReason.COMPLETED
    assert event_kinds(support_session)[-1] == "recording_finished"
    assert path.read_bytes()[len(CHROME_HEAD) :] == b"secondthird"


def test_a_chunk_sent_again_is_taken_once_and_a_gap_is_refused(app):
    _support_session, rep_seat = make_support_session()
    recording = start_recording(rep_seat)
    stored = send(rep_seat, recording, 0, b"first")
    send(rep_seat, recording, 5, b"second")
    send(rep_seat, recording, 5, b"second")  # its answer was lost on the way
    assert files.path_of(stored).read_bytes() == b"firstsecond"
    with pytest.raises(recordings.OutOfOrderError) as gap:
        send(rep_seat, recording, 20, b"later")
    assert gap.value.status == 409 and gap.value.expected == 11
    with pytest.raises(recordings.OutOfOrderError) as no_start:
        _other_session, other_rep = make_support_session()
        send(other_rep, start_recording(other_rep), 5, b"no start")
    assert no_start.value.expected == 0
    db.session.refresh(stored)
    assert stored.size == 11 and files.path_of(stored).read_bytes() == b"firstsecond"


def test_only_the_owner_adds_even_after_a_transfer_and_only_for_a_while(app):
    support_session, rut = make_support_session(make_rep("Rut"))
    helge = sessions.assist(make_rep("Helge"), support_session)
    kim = make_customer(support_session)
    recording = start_recording(rut)
    send(rut, recording, 0, b"first")
    sessions.transfer_control(rut, helge)  # ends the recording
    for someone_else in (helge, kim):
        with pytest.raises(ServiceError) as refused:
            send(someone_else, recording, 5, b"more")
        assert refused.value.status == 403
    # The owner's page still sends what it held when it heard of the end.
    stored = send(rut, recording, 5, b"last")
    db.session.refresh(recording)
    assert recording.end_reason == EndReason.CONTROL_TRANSFERRED
    assert files.recordings(helge) == [stored]
    recording.ended_at -= timedelta(seconds=recordings.LATE_CHUNK_SECONDS + 1)
    db.session.commit()
    with pytest.raises(ServiceError) as too_late:
        send(rut, recording, 9, b"much later")
    assert too_late.value.status == 409
    assert files.path_of(stored).read_bytes() == b"firstlast"


def test_a_recording_must_be_a_recording_of_this_session(app):
    _support_session, rep_seat = make_support_session()
    shared_activity = activities.start_activity(rep_seat, ActivityKind.VIDEO)
    _other_session, other_rep = make_support_session()
    other_recording = start_recording(other_rep)
    for activity_id in (shared_activity.id, other_recording.id, 999_999):
        with pytest.raises(ServiceError) as refused:
            recordings.receive(rep_seat, activity_id, Chunk(0, b"x", 1), "sv")
        assert refused.value.status == 404
    assert files.recordings(other_rep) == []


def test_the_whole_recording_counts_against_its_limit_and_the_quota(app):
    app.config["RECORDING_MAX_BYTES"] = 10
    support_session, rep_seat = make_support_session()
    recording = start_recording(rep_seat)
    stored = send(rep_seat, recording, 0, b"12345678")
    with pytest.raises(ServiceError) as refused:
        send(rep_seat, recording, 8, b"abc")
    assert refused.value.status == 413
    app.config["RECORDING_MAX_BYTES"] = 1000
    app.config["SESSION_UPLOAD_QUOTA_BYTES"] = 10
    with pytest.raises(ServiceError) as no_room:
        send(rep_seat, recording, 8, b"abc")
    assert no_room.value.status == 413
    db.session.refresh(stored)
    assert stored.size == 8 and files.path_of(stored).read_bytes() == b"12345678"
    assert support_session.id == stored.support_session_id


def test_a_page_cannot_claim_a_longer_recording_than_it_ran(app):
    _support_session, rep_seat = make_support_session()
    recording = start_recording(rep_seat)
    stored = send(rep_seat, recording, 0, CHROME_HEAD, elapsed_ms=10 * 3600 * 1000)
    claimed = duration_ms(files.path_of(stored))
    assert 0 < claimed <= (recordings.DURATION_SLACK_SECONDS + 2) * 1000


def test_a_stop_before_any_chunk_ends_the_activity_and_stores_nothing(app):
    _support_session, rep_seat = make_support_session()
    recording = start_recording(rep_seat)
    assert recordings.receive(rep_seat, recording.id, None, "sv") is None
    db.session.refresh(recording)
    assert not recording.is_running and files.recordings(rep_seat) == []


def test_the_duration_fits_where_the_writing_app_was(tmp_path):
    changed = webm.make_room_for_duration(CHROME_HEAD)
    assert len(changed) == len(CHROME_HEAD)  # nothing after it moves
    tracks = CHROME_HEAD.index(bytes.fromhex("1654ae6b"))
    assert changed[tracks:] == CHROME_HEAD[tracks:] and changed[:60] == CHROME_HEAD[:60]
    path = tmp_path / "r.webm"
    path.write_bytes(changed + b"clusters")
    assert webm.write_duration(path, 6250.0)
    assert duration_ms(path) == 6250.0
    assert path.read_bytes().endswith(b"clusters")
    # Already with a Duration: as it is. Not a WebM: refused, and left alone.
    assert webm.make_room_for_duration(changed) == changed
    with pytest.raises(ValueError):
        webm.make_room_for_duration(b"not a webm file at all")
    other = tmp_path / "other.webm"
    other.write_bytes(b"not a webm file at all")
    assert not webm.write_duration(other, 1000.0)
    assert other.read_bytes() == b"not a webm file at all"
