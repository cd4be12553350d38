"""Several customers (R3): whom the rep helps, the switch that ends sharing,
the multi-session window's sessions and the caps (R1.2, R3.5)."""

import pytest

from tests.factories import make_customer, make_rep, make_support_session
from tests.helpers import run_together
from webapp.extensions import db
from webapp.models import Participant, SupportSession
from webapp.services import activities, customers, sessions
from webapp.services.errors import ServiceError


def set_site(cap: int = 5, multi: bool = True) -> None:
    settings = customers.site_settings()
    settings.customer_cap, settings.multi_session_allowed = cap, multi
    db.session.add(settings)
    db.session.commit()


def customer_names(support_session: SupportSession) -> list[str]:
    db.session.expire_all()
    return [p.name for p in support_session.present_participants() if p.role == "customer"]


def test_the_first_customer_is_helped_and_switching_ends_only_sharing(app):
    support_session, rut = make_support_session()
    kim = make_customer(support_session, "Kim")
    ola = make_customer(support_session, "Ola")
    assert support_session.helped_participant_id == kim.id
    share = activities.start_activity(kim, "desktop_sharing")
    window = activities.start_activity(ola, "application_sharing")
    voice = activities.start_activity(rut, "voice")

    customers.select_customer(rut, ola)
    assert support_session.helped_participant_id == ola.id
    assert (share.end_reason, window.end_reason) == ("customer_switched",) * 2
    assert voice.is_running  # R3.2 ends sharing, not the call


def test_only_the_controller_chooses_and_only_present_customers(app):
    support_session, rut = make_support_session()
    kim = make_customer(support_session, "Kim")
    ola = make_customer(support_session, "Ola")
    helge = sessions.assist(make_rep("Helge"), support_session)
    for actor, target in ((helge, ola), (kim, ola)):
        with pytest.raises(ServiceError) as refused:
            customers.select_customer(actor, target)
        assert refused.value.status == 403
    other_session, _ = make_support_session()
    stranger = make_customer(other_session, "Stranger")
    sessions.leave(ola)
    for target in (helge, stranger, ola):
        with pytest.raises(ServiceError) as refused:
            customers.select_customer(rut, target)
        assert refused.value.status == 400
    assert support_session.helped_participant_id == kim.id


def test_the_helped_customer_leaving_leaves_nobody_helped(app):
    support_session, _ = make_support_session()
    kim = make_customer(support_session, "Kim")
    sessions.leave(kim)
    assert support_session.helped_participant_id is None


def test_the_cap_counts_every_session_the_rep_controls(app):
    set_site(cap=2)
    rut = make_rep("Rut")
    first, _ = make_support_session(rut)
    second, _ = make_support_session(rut)
    make_customer(first, "Kim")
    make_customer(second, "Ola")
    with pytest.raises(ServiceError) as refused:
        make_customer(second, "Per")
    assert refused.value.status == 409
    assert "så många kunder" in str(refused.value.message)
    assert customer_names(second) == ["Ola"]
    # The rep's own privilege widens the site's cap.
    rut.customer_cap = 3
    db.session.commit()
    make_customer(second, "Per")
    assert customer_names(second) == ["Ola", "Per"]


def test_two_joins_at_once_over_the_cap_seat_exactly_one(app):
    set_site(cap=1)
    support_session, _ = make_support_session()
    support_session_id = support_session.id

    def join(name):
        def action():
            row = db.session.get(SupportSession, support_session_id)
            return sessions.join_as_customer(row, name)[0].name

        return action

    outcomes = run_together(app, join("A"), join("B"))
    assert sorted(map(str, outcomes)) in (["409", "A"], ["409", "B"])
    seated = db.session.scalars(
        db.select(Participant).where(
            Participant.support_session_id == support_session_id, Participant.role == "customer"
        )
    ).all()
    assert len(seated) == 1


def test_window_sessions_follow_the_privilege_and_the_cap(app):
    set_site(cap=1, multi=False)
    rut = make_rep("Rut")
    with pytest.raises(ServiceError) as refused:
        sessions.start_window_session(rut)
    assert refused.value.status == 403
    rut.multi_session = True  # the rep's privilege widens the site's rule
    db.session.commit()
    first = sessions.start_window_session(rut)
    assert first.window_user_id == rut.id
    make_customer(first, "Kim")
    with pytest.raises(ServiceError) as refused:
        sessions.start_window_session(rut)
    assert refused.value.status == 409
    assert [s.id for s in customers.window_sessions(rut)] == [first.id]
    sessions.end_session(first.controller)
    customers.close_tab(rut, first)
    assert customers.window_sessions(rut) == []


@pytest.mark.parametrize("cap", ["0", "-1", "abc", "101", "2.5", ""])
def test_bad_caps_are_refused_and_nothing_changes(app, cap):
    admin = make_rep("Alva", role="admin")
    set_site(cap=4, multi=True)
    with pytest.raises(ServiceError) as refused:
        customers.update_site_settings(admin, False, cap)
    assert refused.value.field == "customer_cap"
    db.session.expire_all()
    settings = customers.site_settings()
    assert (settings.customer_cap, settings.multi_session_allowed) == (4, True)


def test_only_an_admin_changes_settings(app):
    rut = make_rep("Rut")
    with pytest.raises(ServiceError) as refused:
        customers.update_site_settings(rut, False, "3")
    assert refused.value.status == 403
    with pytest.raises(ServiceError):
        customers.update_rep_privileges(rut, rut, "allow", "50")
    db.session.expire_all()
    assert (rut.multi_session, rut.customer_cap) == (None, None)


def test_without_the_privilege_a_rep_runs_one_session_at_a_time(app):
    set_site(multi=False)
    rut = make_rep("Rut")
    _first, rut_seat = make_support_session(rut)
    with pytest.raises(ServiceError) as refused:
        make_support_session(rut)
    assert refused.value.status == 409
    assert db.session.scalar(db.select(db.func.count(SupportSession.id))) == 1
    sessions.end_session(rut_seat)
    make_support_session(rut)  # one at a time is still allowed


def test_control_goes_only_to_a_rep_with_room_for_the_customers(app):
    rut = make_rep("Rut")
    helge = make_rep("Helge")
    helge.customer_cap = 1
    db.session.commit()
    own, _ = make_support_session(helge)
    make_customer(own, "Ada")
    support_session, rut_seat = make_support_session(rut)
    make_customer(support_session, "Kim")
    helge_seat = sessions.assist(helge, support_session)
    with pytest.raises(ServiceError) as refused:
        sessions.transfer_control(rut_seat, helge_seat)
    assert refused.value.status == 409 and "Helge" in str(refused.value.message)
    db.session.expire_all()
    assert support_session.controller_id == rut_seat.id
