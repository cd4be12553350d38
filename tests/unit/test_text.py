"""Names and messages keep what a person typed, not what only a script sends
(the fuzz drill in tests/security found them stored)."""

import pytest

from webapp.services import acd_transfer, validation
from webapp.services.errors import ServiceError
from webapp.services.text import lines, one_line


def test_a_name_loses_control_and_bidi_characters():
    assert one_line("  Kim\x00 \x1b[31mKund\u202e\r\n Åsa\t") == "Kim [31mKund Åsa"
    assert validation.clean_name("Kim\x07 Kund") == "Kim Kund"


def test_a_name_of_only_control_characters_is_no_name():
    with pytest.raises(ServiceError) as refused:
        validation.clean_name("\x00\x01\u202e")
    assert refused.value.field == "name"


def test_a_message_keeps_its_line_breaks_and_nothing_else_invisible():
    assert lines("Hej\r\nskrivaren\x00 är\u2066 trasig\n") == "Hej\nskrivaren är trasig\n"
    assert acd_transfer.clean_message(" Rad 1\r\nRad\x08 2 ") == "Rad 1\nRad 2"
