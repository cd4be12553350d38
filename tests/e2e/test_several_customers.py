"""Several customers end to end (R3): choosing whom to help ends the share on
every page; the Flersessionsfönster gives each customer a tab of its own."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import (
    join_by_number,
    log_in_and_start,
    make_rut,
    me,
    open_window_tab,
    rep_with_two_customers,
    wait_decoded,
)


def helped_row(page):
    return page.locator("#participants li", has=page.locator(".badge.helped"))


@pytest.mark.e2e
def test_switching_the_helped_customer_ends_the_share_everywhere(live_server, new_page):
    rep, kim, ola = rep_with_two_customers(live_server, new_page)
    for page in (rep, kim, ola):
        expect(helped_row(page)).to_contain_text("Kim")
    # Only the controller chooses.
    expect(kim.get_by_role("button", name="Hjälp Ola")).to_have_count(0)

    kim.locator("#media-controls").get_by_role("button", name="Skrivbordsdelning").click()
    wait_decoded(rep, "desktop_sharing", me(kim))

    rep.get_by_role("button", name="Hjälp Ola").click()
    for page in (rep, kim, ola):
        expect(helped_row(page)).to_contain_text("Ola")
        expect(page.locator("#activities")).not_to_contain_text("Skrivbordsdelning")
    for page in (rep, ola):
        expect(page.locator("#media-stage .tile-desktop_sharing")).to_have_count(0)
    expect(kim.locator("[data-media=desktop_sharing]")).to_have_attribute("aria-pressed", "false")
    expect(kim.locator("#media-stage .tile")).to_have_count(0)


@pytest.mark.e2e
def test_multi_session_window_tabs_follow_their_customers(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    log_in_and_start(rep, base)  # logs in; a single session may run beside the window
    rep.goto(base + "/support/")
    rep.get_by_role("link", name="Öppna flersessionsfönstret").click()
    expect(rep.locator(".multi-window")).to_have_attribute("data-connection", "open")

    first_number, first_frame = open_window_tab(rep)
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, first_number, "Kim")
    expect(rep.locator("#multi-tabs")).to_contain_text("Kim")

    second_number, second_frame = open_window_tab(rep)
    assert second_number != first_number
    ola = new_page()
    join_by_number(ola, base, second_number, "Ola")
    expect(rep.locator("#multi-tabs")).to_contain_text("Ola")
    # Each customer is alone in its own session.
    expect(kim.locator("#participants")).not_to_contain_text("Ola")
    expect(second_frame.locator("#participants")).to_contain_text("Ola")

    # Choosing a tab shows that session; the other stays connected behind it.
    rep.get_by_role("tab", name="Kim").click()
    expect(rep.locator("#multi-tabs [aria-selected=true]")).to_contain_text("Kim")
    expect(rep.locator("iframe.multi-frame:visible")).to_have_count(1)
    first_frame.get_by_label("Meddelande").fill("Hej Kim")
    first_frame.get_by_role("button", name="Skicka", exact=True).click()
    expect(kim.locator("#chat-log")).to_contain_text("Hej Kim")
    expect(ola.locator("#chat-log")).not_to_contain_text("Hej Kim")

    # A customer leaving shows in its tab, live.
    kim.get_by_role("button", name="Lämna session").click()
    expect(rep.locator("#multi-tabs [role=tab]").first).to_contain_text("Väntar på en kund")
    # Ending a session: its tab says so.
    rep.get_by_role("tab", name="Ola").click()
    rep.on("dialog", lambda dialog: dialog.accept())
    second_frame.get_by_role("tab", name="Session").click()
    second_frame.get_by_role("button", name="Avsluta session").click()
    expect(rep.locator("#multi-tabs [role=tab]").nth(1)).to_contain_text("Avslutad")
    expect(ola.locator("body")).to_contain_text("Sessionen har avslutats")
