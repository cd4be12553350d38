"""R8: every string is translated in both catalogs, none fuzzy."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "webapp" / "translations"


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_catalog_is_complete(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    empty = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert empty == [] and fuzzy == []
    assert len(catalog) > 100


def test_swedish_uses_the_glossary_words():
    with open(TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    expected = {
        "Provide Support": "Ge support",
        "Join": "Delta",
        "Start": "Starta",
        "Invite": "Bjud in",
        "Customer": "Kund",
        "Support representative": "Supportrepresentant",
        "Send using my own email program": "Skicka med mitt eget e-postprogram",
        "Email address": "E-postadress",
        "Copy link": "Kopiera länk",
        "Participants": "Deltagare",
        "In control": "Styr sessionen",
        "The session has ended": "Sessionen har avslutats",
        "End Session": "Avsluta session",
        "Leave Session": "Lämna session",
        "Session number": "Sessionsnummer",
        "CSR Dashboard": "CSR-instrumentpanelen",
        "Tools": "Verktyg",
        "Assist Session": "Assistera session",
        "Cancel": "Avbryt",
    }
    assert {msgid: catalog[msgid].string for msgid in expected} == expected
