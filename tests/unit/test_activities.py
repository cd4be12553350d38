"""Activities (R7) start and end as rows; every way they end leaves a reason
(R3.2, R5.4, R5.5, R1.5)."""

import pytest

from tests.factories import allow_recording, make_customer, make_rep, make_support_session
from webapp.extensions import db
from webapp.models import Activity
from webapp.services import activities, chat, customers, sessions
from webapp.services.errors import ServiceError


@pytest.fixture
def escalated(app):
    support_session, rut = make_support_session(make_rep("Rut"))
    helge = sessions.assist(make_rep("Helge"), support_session)
    kim = make_customer(support_session)
    return support_session, rut, helge, kim


def all_activities() -> list[Activity]:
    return list(db.session.scalars(db.select(Activity).order_by(Activity.id)))


def test_a_share_starts_once_and_stops_with_a_reason(escalated):
    support_session, _rut, _helge, kim = escalated
    share = activities.start_activity(kim, "desktop_sharing")
    assert activities.start_activity(kim, "desktop_sharing").id == share.id
    assert [a.kind for a in activities.running(support_session.id)] == ["desktop_sharing"]
    activities.end_activity(kim, share.id)
    assert share.ended_at is not None and share.end_reason == "stopped"
    assert activities.running(support_session.id) == []


def test_who_may_start_what(escalated):
    _support_session, rut, helge, kim = escalated
    for kind in ("desktop_sharing", "application_sharing", "video", "recording"):
        with pytest.raises(ServiceError) as refused:
            activities.start_activity(helge, kind)
        assert refused.value.status == 403
    assert activities.start_activity(helge, "voice").participant_id == helge.id
    with pytest.raises(ServiceError) as refused:
        activities.start_activity(kim, "recording")
    assert refused.value.status == 403
    for kind in ("chat", "file_transfer", "telepathy", ""):
        with pytest.raises(ServiceError) as refused:
            activities.start_activity(rut, kind)
        assert refused.value.status == 400
    assert [a.kind for a in all_activities()] == ["voice"]


def test_recording_needs_something_shared(escalated):
    _support_session, rut, _helge, kim = escalated
    with pytest.raises(ServiceError) as refused:
        activities.start_activity(rut, "recording")
    assert refused.value.status == 409
    activities.start_activity(kim, "application_sharing")
    allow_recording(_support_session)
    assert activities.start_activity(rut, "recording").kind == "recording"


def test_only_the_owner_or_the_controller_stops_an_activity(escalated):
    _support_session, rut, helge, kim = escalated
    share = activities.start_activity(kim, "desktop_sharing")
    with pytest.raises(ServiceError) as refused:
        activities.end_activity(helge, share.id)
    assert refused.value.status == 403
    _other_session, other_rep = make_support_session()
    with pytest.raises(ServiceError) as refused:
        activities.end_activity(other_rep, share.id)
    assert refused.value.status == 404
    assert share.is_running
    activities.end_activity(rut, share.id)
    assert not share.is_running


def test_transfer_ends_every_activity_and_voice_needs_a_microphone(escalated):
    """R5.4 and R5.5: without a microphone on the new controller's side the
    call ends too; with one it goes on."""
    support_session, rut, helge, kim = escalated
    chat.post_message(kim, "Hej")
    activities.start_activity(kim, "desktop_sharing")
    activities.start_activity(rut, "voice")
    allow_recording(support_session)
    activities.start_activity(rut, "recording")
    sessions.transfer_control(rut, helge)
    assert activities.running(support_session.id) == []
    assert {a.end_reason for a in all_activities()} == {"control_transferred"}

    activities.start_activity(kim, "voice")
    activities.start_activity(helge, "video")
    activities.report_microphone(rut, True)
    sessions.transfer_control(helge, rut)
    assert [a.kind for a in activities.running(support_session.id)] == ["voice"]


def test_chat_runs_from_its_first_line_until_something_ends_it(escalated):
    support_session, rut, helge, kim = escalated
    chat.post_message(kim, "Hej")
    chat.post_message(rut, "Hej Kim")
    assert [a.kind for a in activities.running(support_session.id)] == ["chat"]
    sessions.transfer_control(rut, helge)
    chat.post_message(kim, "Är du kvar?")
    chats = all_activities()
    assert [(a.kind, a.end_reason) for a in chats] == [
        ("chat", "control_transferred"),
        ("chat", None),
    ]


def test_leaving_ends_your_activities_and_ending_ends_all(escalated):
    _support_session, rut, helge, kim = escalated
    mine = activities.start_activity(kim, "video")
    voice = activities.start_activity(helge, "voice")
    sessions.leave(kim)
    assert (mine.end_reason, voice.is_running) == ("left", True)
    sessions.end_session(rut)
    assert voice.end_reason == "session_ended"
    assert all(not a.is_running for a in all_activities())


def test_a_customer_whose_page_is_gone_stops_sharing(escalated):
    support_session, _rut, _helge, kim = escalated
    share = activities.start_activity(kim, "desktop_sharing")
    assert not sessions.participant_gone(support_session.id, kim.id)
    db.session.expire_all()
    assert share.end_reason == "disconnected" and support_session.is_open


def test_nothing_starts_in_an_ended_session_or_for_someone_who_left(escalated):
    _support_session, rut, _helge, kim = escalated
    sessions.leave(kim)
    with pytest.raises(ServiceError) as refused:
        activities.start_activity(kim, "video")
    assert refused.value.status == 403
    sessions.end_session(rut)
    with pytest.raises(ServiceError) as refused:
        activities.start_activity(rut, "video")
    assert refused.value.status == 410


def test_a_recording_stops_when_nothing_is_left_to_record(escalated):
    support_session, rut, _helge, kim = escalated
    share = activities.start_activity(kim, "desktop_sharing")
    allow_recording(support_session)
    recording = activities.start_activity(rut, "recording")
    activities.end_activity(kim, share.id)
    assert recording.end_reason == "nothing_to_record"
    assert activities.running(support_session.id) == []


def test_an_unknown_participant_gone_ends_nobodys_media(escalated):
    support_session, _rut, _helge, kim = escalated
    share = activities.start_activity(kim, "desktop_sharing")
    assert not sessions.participant_gone(support_session.id, 999_999)
    assert share.is_running


def test_the_panel_mark_tells_a_page_that_its_share_ended_unseen(escalated):
    """R3.2 / #6: a share started and ended between two pushes is never listed;
    the mark (newest listed row, running or not) still says it ended."""
    support_session, rut, _helge, kim = escalated
    assert activities.listed(support_session.id) == (0, [])
    share = activities.start_activity(kim, "desktop_sharing")
    video = activities.start_activity(rut, "video")
    assert activities.listed(support_session.id) == (video.id, [share, video])
    customers.select_customer(rut, make_customer(support_session, "Ola"))
    chat.post_message(rut, "Nu hjälper jag Ola")  # chat is not listed and moves no mark
    mark, running = activities.listed(support_session.id)
    assert (mark, running) == (video.id, [video])  # the share ended unlisted
