"""#7 in Chromium: a second rep assists by number, control moves to them and
back, and every page's controls follow at once (R4.1-R4.2, R5.1-R5.6)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import join_by_number, log_in_and_start, make_rut, me, shown, wait_decoded
from webapp.extensions import db
from webapp.services.users import create_user


def controls(page):
    return page.locator("#session-actions")


def transfer_control_to(page, name):
    page.get_by_role("tab", name="Session").click()
    page.get_by_text("Överför session").click()
    page.get_by_role("button", name="Överför kontroll").click()
    dialog = page.get_by_role("dialog", name="Överför kontroll")
    dialog.get_by_label(name).check()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_have_count(0)


def post_as_page(page, path):
    """What a tampered page could send: a real POST with the page's CSRF token."""
    return page.evaluate(
        """async (path) => {
            const headers = JSON.parse(document.body.getAttribute("hx-headers"));
            const response = await fetch(path, {method: "POST", headers});
            return response.status;
        }""",
        path,
    )


@pytest.mark.e2e
def test_assist_transfer_control_and_hand_back(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    with live_server.app_context():
        create_user("helge@example.com", "Helge Hjälp", "rep", "password123")
        db.session.remove()

    rut = new_page()
    number = log_in_and_start(rut, base)
    session_path = rut.url.split(base, 1)[1].split("?")[0]
    kim = new_page(width=390, height=844)
    join_by_number(kim, base, number, "Kim")

    # R4.1: Ge support -> Assistera session, the number, Delta.
    helge = new_page()
    helge.goto(base + "/login")
    helge.get_by_label("E-post").fill("helge@example.com")
    helge.get_by_label("Lösenord").fill("password123")
    helge.get_by_role("button", name="Logga in").click()
    helge.get_by_label("Sessionsnummer").fill(number)
    helge.get_by_role("button", name="Delta", exact=True).click()
    expect(helge.locator("#participants .is-me")).to_contain_text("Assistent")
    expect(rut.locator("#participants")).to_contain_text("Helge Hjälp")

    # R4.2: no control functions on the assistant's page, and the server refuses them.
    expect(controls(helge).get_by_role("button", name="Avsluta session")).to_have_count(0)
    expect(controls(helge).get_by_role("button", name="Lämna session")).to_be_visible()
    helge.get_by_role("tab", name="Verktyg").click()
    expect(helge.get_by_role("button", name="Bjud in")).to_have_count(0)
    assert post_as_page(helge, session_path + "/end") == 403
    assert post_as_page(helge, session_path + "/invite") == 403

    # R4.2: the assistant watches the share; voice is no control function.
    kim.locator("#media-controls").get_by_role("button", name="Skrivbordsdelning").click()
    kim_id = me(kim)
    wait_decoded(helge, "desktop_sharing", kim_id)
    expect(helge.locator("#media-controls [data-media]")).to_have_count(1)
    rut.locator("#media-controls").get_by_role("button", name="Röstsamtal").click()
    expect(helge.locator("#activities")).to_contain_text("Röstsamtal")

    # R5.1-R5.2: control moves; both pages change at once.
    transfer_control_to(rut, "Helge Hjälp")
    # R5.4: the share ends on every page; R5.5: Helge's browser has a
    # microphone, so the voice call goes on.
    for page in (rut, helge, kim):
        expect(page.locator("#activities")).not_to_contain_text("Skrivbordsdelning")
        expect(page.locator("#media-stage .tile-desktop_sharing")).to_have_count(0)
        expect(page.locator("#activities")).to_contain_text("Röstsamtal")
    expect(kim.locator("[data-media=desktop_sharing]")).to_have_attribute("aria-pressed", "false")
    helge.get_by_role("tab", name="Session").click()
    expect(controls(helge).get_by_role("button", name="Avsluta session")).to_be_visible()
    expect(controls(rut).get_by_role("button", name="Avsluta session")).to_have_count(0)
    expect(controls(rut).get_by_role("button", name="Lämna session")).to_be_visible()
    expect(kim.locator("#session-status")).to_contain_text("Helge Hjälp")
    # R5.3: the former controller cannot end the session.
    assert post_as_page(rut, session_path + "/end") == 403

    # R5.6: control comes back.
    transfer_control_to(helge, "Rut Rep")
    expect(controls(rut).get_by_role("button", name="Avsluta session")).to_be_visible()
    expect(controls(helge).get_by_role("button", name="Avsluta session")).to_have_count(0)
    expect(kim.locator("#session-status")).to_contain_text("Rut Rep")
    kim.locator("#media-controls").get_by_role("button", name="Röstsamtal").click()
    expect(kim.locator("[data-media=voice]")).to_have_attribute("aria-pressed", "true")

    # The controller, with control back, ends the session for everyone.
    rut.on("dialog", lambda dialog: dialog.accept())
    controls(rut).get_by_role("button", name="Avsluta session").click()
    for page in (rut, helge, kim):
        expect(shown(page).get_by_text("Sessionen har avslutats")).to_be_visible()
    # Kim was in the call until the end; the ended page lets go of the microphone.
    kim.wait_for_function(
        """() => window.testCaptures.every((stream) =>
             stream.getTracks().every((track) => track.readyState === "ended"))"""
    )
