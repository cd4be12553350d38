"""Sharing, video, voice and recording end to end (R7, R3.3), in headless
Chromium with fake devices: the frames must really arrive and decode."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import (
    allow_recording,
    join_by_number,
    log_in_and_start,
    make_rut,
    me,
    press,
    rep_with_a_customer,
    rep_with_two_customers,
    shown,
    wait_decoded,
)

FRAMES_DECODED = """async () => {
  let frames = 0;
  for (const pc of window.testPeers.filter((pc) => pc.connectionState !== "closed")) {
    (await pc.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "video") {
        frames += report.framesDecoded || 0;
      }
    });
  }
  return frames;
}"""


def activities_of(page):
    return page.locator("#activities")


@pytest.mark.e2e
def test_a_customer_shares_and_everyone_sees_it_and_the_rep_records(live_server, new_page):
    base = live_server.base_url
    rep, kim, ola = rep_with_two_customers(live_server, new_page)
    kim_id = me(kim)

    press(kim, "Skrivbordsdelning")
    expect(kim.locator("#media-controls [data-media=desktop_sharing]")).to_have_attribute(
        "aria-pressed", "true"
    )
    for page in (rep, kim, ola):
        expect(activities_of(page)).to_contain_text("Skrivbordsdelning")
        expect(activities_of(page)).to_contain_text("Kim")
    # The rep and the second customer decode the same share (R3.3).
    for page in (rep, ola):
        wait_decoded(page, "desktop_sharing", kim_id)
        assert page.evaluate(FRAMES_DECODED) > 0
    # Kim sees its own preview.
    wait_decoded(kim, "desktop_sharing", kim_id)

    # Recording is on for everyone to see, and ends up stored and downloadable.
    press(rep, "Inspelning")
    allow_recording(kim, ola)
    for page in (rep, kim, ola):
        expect(page.locator("#session-status .recording-on")).to_contain_text("spelar in")
    rep.wait_for_timeout(2500)
    press(rep, "Inspelning")
    expect(rep.locator("#media-status")).to_contain_text("Inspelningen är sparad")
    for page in (rep, kim, ola):
        expect(page.locator("#session-status .recording-on")).to_have_count(0)
    link = rep.locator("#recordings a").first
    expect(link).to_be_visible()
    download = rep.request.get(base + link.get_attribute("href"))
    assert download.status == 200
    assert download.body()[:4] == b"\x1a\x45\xdf\xa3"  # a WebM (EBML) file
    assert len(download.body()) > 10_000
    # Customers see no recordings and cannot fetch one.
    assert kim.request.get(base + link.get_attribute("href")).status == 404

    # Stopping the share takes it away on every page.
    press(kim, "Skrivbordsdelning")
    for page in (rep, ola):
        expect(page.locator(f'#media-stage [data-key="{kim_id}:desktop_sharing"]')).to_have_count(0)
        expect(activities_of(page)).not_to_contain_text("Skrivbordsdelning")


@pytest.mark.e2e
def test_video_and_voice_between_rep_and_customer(live_server, new_page):
    rep, kim, _number = rep_with_a_customer(live_server, new_page)

    press(rep, "Video")
    wait_decoded(kim, "video", me(rep))
    press(kim, "Röstsamtal")
    rep.wait_for_function(
        """(owner) => {
          const audio = document.querySelector(`#media-stage [data-key="${owner}:voice"] audio`);
          return audio !== null && audio.srcObject && audio.srcObject.getAudioTracks().length > 0;
        }""",
        arg=me(kim),
    )
    # A page that reloads gets the running media again.
    kim.reload()
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    wait_decoded(kim, "video", me(rep))
    # Kim's voice died with the old page; the reloaded one ends its row.
    expect(activities_of(rep)).not_to_contain_text("Röstsamtal", timeout=10000)
    press(rep, "Video")
    expect(kim.locator("#media-stage .tile")).to_have_count(0)


@pytest.mark.e2e
def test_denied_media_gets_a_clear_message_and_the_session_goes_on(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    number = log_in_and_start(rep, base)
    kim = new_page()
    kim.add_init_script(
        """navigator.mediaDevices.getDisplayMedia = () =>
             Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
    )
    join_by_number(kim, base, number, "Kim")
    press(kim, "Skrivbordsdelning")
    expect(kim.locator("#media-message")).to_contain_text("Sessionen fortsätter")
    expect(kim.locator("#media-controls [data-media=desktop_sharing]")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(activities_of(rep)).not_to_contain_text("Skrivbordsdelning")
    kim.get_by_label("Meddelande").fill("Det gick inte att dela")
    kim.get_by_role("button", name="Skicka", exact=True).click()
    expect(rep.locator("#chat-log")).to_contain_text("Det gick inte att dela")


@pytest.mark.e2e
def test_files_both_ways_and_to_one_customer_only(live_server, new_page):
    rep, kim, ola = rep_with_two_customers(live_server, new_page)
    # The To list follows the participants live: Ola arrived after the pages loaded.
    expect(rep.get_by_label("Till").locator("option")).to_have_text(["Alla", "Kim", "Ola"])

    log = {"name": "felrapport åäö.txt", "mimeType": "text/plain", "buffer": b"fel 0x80070005\n"}
    kim.get_by_label("Fil", exact=True).set_input_files(log)
    kim.get_by_role("button", name="Skicka fil").click()
    for page in (rep, kim, ola):
        expect(page.locator("#file-list")).to_contain_text("felrapport åäö.txt")
    with rep.expect_download() as downloaded:
        rep.locator("#file-list").get_by_role("link", name="felrapport åäö.txt").click()
    assert downloaded.value.suggested_filename == "felrapport åäö.txt"
    assert Path(downloaded.value.path()).read_bytes() == b"fel 0x80070005\n"

    fix = {"name": "fix.reg", "mimeType": "text/plain", "buffer": b"Windows Registry Editor\n"}
    rep.get_by_label("Fil", exact=True).set_input_files(fix)
    rep.get_by_label("Till").select_option(label="Kim")
    rep.get_by_role("button", name="Skicka fil").click()
    expect(kim.locator("#file-list")).to_contain_text("fix.reg")
    expect(kim.locator("#file-list")).to_contain_text("bara till dig")
    expect(rep.locator("#file-list")).to_contain_text("bara till Kim")
    expect(ola.locator("#file-list")).not_to_contain_text("fix.reg")
    ola.reload()
    expect(ola.locator("#file-list")).not_to_contain_text("fix.reg")


@pytest.mark.e2e
def test_a_second_tab_of_the_rep_leaves_the_first_tabs_media_alone(live_server, new_page):
    rep, kim, _number = rep_with_a_customer(live_server, new_page)
    press(rep, "Video")
    wait_decoded(kim, "video", me(rep))

    second = rep.context.new_page()
    second.goto(rep.url)
    expect(second.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    wait_decoded(second, "video", me(rep))  # every page of the session sees it
    press(kim, "Skrivbordsdelning")
    for page in (rep, second):
        wait_decoded(page, "desktop_sharing", me(kim))
    second.wait_for_timeout(2500)
    expect(activities_of(kim)).to_contain_text("Video")
    wait_decoded(kim, "video", me(rep))


@pytest.mark.e2e
def test_a_recording_running_when_the_rep_ends_the_session_is_kept(live_server, new_page):
    rep, kim, number = rep_with_a_customer(live_server, new_page)
    dashboard = rep.url
    press(rep, "Video")
    wait_decoded(kim, "video", me(rep))
    press(rep, "Inspelning")
    allow_recording(kim)
    expect(kim.locator("#session-status .recording-on")).to_be_visible()
    rep.wait_for_timeout(1500)

    rep.on("dialog", lambda dialog: dialog.accept())
    rep.get_by_role("button", name="Avsluta session").click()
    expect(shown(kim).get_by_text("Sessionen har avslutats")).to_be_visible()
    rep.goto(dashboard + "/record")
    expect(rep.get_by_role("link", name=f"inspelning-{number.replace(' ', '')}-")).to_be_visible()
