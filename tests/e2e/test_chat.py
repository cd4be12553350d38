"""Chatt end to end: both ways, live, escaped, kept after a reload; a too
long line is refused to its writer alone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import chat_of, rep_with_a_customer, say


@pytest.mark.e2e
def test_chat_both_ways_escaped_and_kept(live_server, new_page):
    rep, kim, _number = rep_with_a_customer(live_server, new_page, width=390, height=844)

    say(kim, "Skärmen är svart <b>hjälp</b>")
    for page in (rep, kim):
        expect(chat_of(page)).to_contain_text("Skärmen är svart <b>hjälp</b>")
        expect(chat_of(page).locator("b")).to_have_count(0)
    expect(kim.get_by_label("Meddelande")).to_have_value("")

    rep.get_by_label("Meddelande").fill("Starta om datorn")
    rep.get_by_label("Meddelande").press("Enter")
    expect(chat_of(kim)).to_contain_text("Starta om datorn")

    # A crafted page without the field's maxlength: the server still refuses.
    kim.get_by_label("Meddelande").evaluate("field => field.removeAttribute('maxlength')")
    say(kim, "x" * 1001)
    expect(kim.locator("#chat-error")).to_contain_text("högst 1000 tecken")
    expect(rep.locator("#chat-error")).to_be_empty()
    expect(chat_of(rep).locator("li")).to_have_count(2)

    kim.reload()
    expect(chat_of(kim).locator("li")).to_have_count(2)
    lines = chat_of(kim).locator(".chat-text").all_inner_texts()
    assert lines == ["Skärmen är svart <b>hjälp</b>", "Starta om datorn"]
