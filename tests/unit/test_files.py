"""Filöverföring and recordings (R7, #5): what is kept, where, and for whom."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tests.factories import make_customer, make_support_session
from webapp.extensions import db
from webapp.models import Activity, ActivityKind, SessionEvent, SessionFile
from webapp.services import files, sessions
from webapp.services.errors import ServiceError


def upload(data: bytes = b"hello", name: str = "notes.txt") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="text/plain")


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_file_is_kept_outside_static_under_a_generated_name(app):
    support_session, rep_seat = make_support_session()
    data = bytes(range(256)) * 300
    shared = files.share_file(rep_seat, upload(data, "Offert åäö.pdf"), None)
    path, row = files.open_for_download(rep_seat, shared.id)
    assert path.read_bytes() == data
    assert path.parent == Path(app.config["UPLOAD_DIR"]) / str(support_session.id)
    assert path.name == row.stored_name and "Offert" not in path.name
    assert Path(app.static_folder) not in path.parents
    assert (row.original_name, row.size, row.purpose) == ("Offert åäö.pdf", len(data), "file")
    activity = db.session.get(Activity, row.activity_id)
    assert activity.kind == ActivityKind.FILE_TRANSFER and activity.is_running
    kinds = db.session.scalars(sa.select(SessionEvent.kind).order_by(SessionEvent.id)).all()
    assert kinds[-1] == "file_shared"


def test_a_second_file_uses_the_running_file_transfer(app):
    _support_session, rep_seat = make_support_session()
    first = files.share_file(rep_seat, upload(), None)
    second = files.share_file(rep_seat, upload(), None)
    assert first.activity_id == second.activity_id
    assert first.stored_name != second.stored_name


def test_over_the_limit_is_refused_and_nothing_is_left(app):
    app.config["FILE_MAX_BYTES"] = 1024 * 1024
    _support_session, rep_seat = make_support_session()
    with pytest.raises(ServiceError) as refused:
        files.share_file(rep_seat, upload(b"x" * (1024 * 1024 + 1)), None)
    assert refused.value.status == 413
    assert str(refused.value.message) == "Filen är större än gränsen på 1 MB."
    assert db.session.scalars(sa.select(SessionFile)).all() == []
    assert stored_files(app) == []
    files.share_file(rep_seat, upload(b"x" * (1024 * 1024)), None)  # exactly the limit


@pytest.mark.parametrize(
    "name",
    ["", "   ", ".", "..", "../etc/passwd", "a/b.txt", "C:\\x\\y.txt", "nul\x00.txt",
     "line\nbreak.txt", "tab\t.txt", "del\x7f.txt", "exe\u202etxt.exe", "x" * 256],
)  # fmt: skip
def test_hostile_names_are_refused_and_nothing_is_stored(app, name):
    _support_session, rep_seat = make_support_session()
    with pytest.raises(ServiceError) as refused:
        files.share_file(rep_seat, upload(name=name), None)
    assert refused.value.status == 400
    assert db.session.scalars(sa.select(SessionFile)).all() == []
    assert stored_files(app) == []


def test_a_long_but_allowed_name_is_kept(app):
    _support_session, rep_seat = make_support_session()
    name = "ä" * 251 + ".txt"
    assert files.share_file(rep_seat, upload(name=name), None).original_name == name


def test_a_file_for_one_participant_is_hidden_from_the_others(app):
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session, "Kim")
    bo = make_customer(support_session, "Bo")
    private = files.share_file(rep_seat, upload(name="kim.txt"), kim.id)
    public = files.share_file(kim, upload(name="all.txt"), None)
    assert files.visible_files(kim) == [private, public]
    assert files.visible_files(rep_seat) == [private, public]  # the sender sees it
    assert files.visible_files(bo) == [public]
    with pytest.raises(ServiceError) as refused:
        files.open_for_download(bo, private.id)
    assert refused.value.status == 404


def test_the_recipient_must_be_another_present_participant_of_the_session(app):
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session, "Kim")
    gone = make_customer(support_session, "Gone")
    sessions.leave(gone)
    _, stranger = make_support_session()
    for recipient_id in (rep_seat.id, gone.id, stranger.id, 999_999):
        with pytest.raises(ServiceError) as refused:
            files.share_file(rep_seat, upload(), recipient_id)
        assert refused.value.field == "recipient"
    assert stored_files(app) == []
    assert files.visible_files(kim) == []


def test_someone_who_left_or_an_ended_session_cannot_send(app):
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session)
    sessions.leave(kim)
    with pytest.raises(ServiceError):
        files.share_file(kim, upload(), None)
    sessions.end_session(rep_seat)
    with pytest.raises(ServiceError):
        files.share_file(rep_seat, upload(), None)
    assert stored_files(app) == []


def test_after_the_end_only_staff_download(app):
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session)
    shared = files.share_file(kim, upload(b"log"), None)
    sessions.end_session(rep_seat)
    former = files.former_staff_seat(support_session.id, rep_seat.user)
    assert former.id == rep_seat.id
    assert files.open_for_download(former, shared.id)[0].read_bytes() == b"log"
    with pytest.raises(ServiceError):
        files.open_for_download(kim, shared.id)


def test_a_participant_who_left_an_open_session_cannot_download(app):
    support_session, rep_seat = make_support_session()
    kim = make_customer(support_session)
    shared = files.share_file(rep_seat, upload(), None)
    sessions.leave(kim)
    with pytest.raises(ServiceError):
        files.open_for_download(kim, shared.id)
    assert files.former_staff_seat(support_session.id, rep_seat.user) is None  # still open
