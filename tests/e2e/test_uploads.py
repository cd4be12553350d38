"""Progress you can see (#17 item 6): a file on its way shows how far it has
come, and one that never arrived says so and is sent again on Försök igen."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import rep_with_a_customer

# Keeps every value the bar showed, for the test to read afterwards.
WATCH_BAR = """() => {
  window.barValues = [];
  document.addEventListener("htmx:xhr:progress", () => {
    const bar = document.querySelector(".upload-progress");
    window.barValues.push([bar.value, bar.hidden]);
  });
}"""


@pytest.mark.e2e
def test_a_file_shows_its_progress_and_a_lost_one_is_sent_again(live_server, new_page, tmp_path):
    rep, kim, _number = rep_with_a_customer(live_server, new_page)
    log = tmp_path / "skrivarlogg.txt"
    log.write_bytes(b"x" * (3 * 1024 * 1024))
    kim.evaluate(WATCH_BAR)

    # The connection drops while the file is on its way.
    lost = []

    def drop_once(route):
        if not lost:
            lost.append(route.request.url)
            return route.abort("connectionreset")
        return route.continue_()

    kim.route("**/files", drop_once)
    kim.locator("#file-input").set_input_files(log)
    kim.get_by_role("button", name="Skicka fil").click()
    expect(kim.locator("#file-error")).to_have_text(
        "Filen kunde inte skickas: anslutningen bröts. Försök igen."
    )
    retry = kim.get_by_role("button", name="Försök igen")
    expect(retry).to_be_visible()
    expect(rep.locator("#file-list")).not_to_contain_text("skrivarlogg.txt")

    retry.click()  # the same file, still chosen
    expect(rep.locator("#file-list")).to_contain_text("skrivarlogg.txt")
    expect(kim.locator("#file-list")).to_contain_text("skrivarlogg.txt")
    expect(kim.locator("#file-error")).to_have_text("")
    values = kim.evaluate("() => window.barValues")
    assert values and values[-1] == [100, False], values  # shown, and it got there
    expect(kim.get_by_role("button", name="Försök igen")).to_be_hidden()
    expect(kim.locator(".upload-progress")).to_be_hidden()
