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

    # A pasted line over the limit is refused before it is sent, in the
    # server's words, and stays to be shortened: the field's maxlength used
    # to cut it at 1000 without a word.
    field = kim.get_by_label("Meddelande")
    field.fill("x" * 1001)
    expect(kim.locator("#chat-error")).to_contain_text("högst 1000 tecken")
    field.press("Enter")
    expect(field).to_have_value("x" * 1001)
    expect(field).to_have_attribute("aria-invalid", "true")
    field.press("Backspace")
    expect(kim.locator("#chat-error")).to_be_empty()
    field.press("Enter")
    expect(chat_of(rep).locator("li")).to_have_count(3)
    expect(field).to_have_value("")

    # A crafted page without that check: the server still refuses.
    field.evaluate("field => delete field.dataset.maxChars")
    say(kim, "x" * 1001)
    expect(kim.locator("#chat-error")).to_contain_text("högst 1000 tecken")
    expect(rep.locator("#chat-error")).to_be_empty()
    expect(chat_of(rep).locator("li")).to_have_count(3)

    kim.reload()
    expect(chat_of(kim).locator("li")).to_have_count(3)
    lines = chat_of(kim).locator(".chat-text").all_inner_texts()
    assert lines == ["Skärmen är svart <b>hjälp</b>", "Starta om datorn", "x" * 1000]
