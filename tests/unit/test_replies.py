"""Snabbsvar (#17 item 2): whose replies a user sees, who may share and
remove, and what a reply may hold."""

import pytest

from tests.factories import make_rep
from webapp.services import replies
from webapp.services.errors import ServiceError


def test_a_user_sees_the_shared_replies_and_their_own(app):
    admin, rut, agnes = make_rep("Ada", "admin"), make_rep("Rut"), make_rep("Agnes", "agent")
    shared = replies.add(admin, "Hälsning", "Hej {kund}!", "Hi {customer}!", shared=True)
    own = replies.add(rut, "avslut", "Tack för i dag, {kund}.", "")
    assert own.text_en is None and shared.is_shared and not own.is_shared
    assert replies.available_to(rut) == [own, shared]  # by name, ignoring case
    assert replies.available_to(agnes) == [shared]


def test_only_an_admin_shares_and_only_the_owner_or_an_admin_removes(app):
    admin, rut, helge = make_rep("Ada", "admin"), make_rep("Rut"), make_rep("Helge")
    with pytest.raises(ServiceError) as refused:
        replies.add(rut, "Delat", "Hej", "", shared=True)
    assert refused.value.status == 403
    own = replies.add(rut, "Mitt", "Hej", "")
    shared = replies.add(admin, "Delat", "Hej", "", shared=True)
    for someone, reply in ((helge, own), (rut, shared), (admin, own)):
        with pytest.raises(ServiceError) as refused:
            replies.remove(someone, reply.id)
        assert refused.value.status == 404
    replies.remove(rut, own.id)
    replies.remove(admin, shared.id)
    assert replies.available_to(rut) == []


@pytest.mark.parametrize(
    ("name", "text_sv", "text_en", "field"),
    [
        ("", "Hej", "", "name"),
        ("\u202e\x07 ", "Hej", "", "name"),
        ("x" * 41, "Hej", "", "name"),
        ("Tomt", "  ", "\n", "text_sv"),
        ("Långt", "x" * 1001, "", "text_sv"),
        ("Long", "", "x" * 1001, "text_en"),
    ],
)
def test_a_bad_reply_is_refused_and_nothing_is_kept(app, name, text_sv, text_en, field):
    rut = make_rep("Rut")
    with pytest.raises(ServiceError) as refused:
        replies.add(rut, name, text_sv, text_en)
    assert refused.value.field == field and refused.value.status == 400
    assert replies.available_to(rut) == []


def test_a_reply_keeps_its_line_breaks_and_loses_control_characters(app):
    reply = replies.add(make_rep("Rut"), "  Två  rader ", "Hej\r\nDå\x00", "")
    assert reply.name == "Två rader" and reply.text_sv == "Hej\nDå"
