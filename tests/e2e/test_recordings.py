"""Recordings that survive (#14 item 4), in headless Chromium: the rep's page
sends its recording while it records, so a tab closed without stopping still
leaves a recording that is listed, has its length and plays."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import allow_recording, me, press, rep_with_a_customer, shown, wait_decoded

# Loads a recording the way a player would, from the page's own origin, and
# tells its length, whether it seeks to 4 s and decodes a picture there.
PLAYS = """async (url) => {
  const response = await fetch(url);
  const blob = new Blob([await response.arrayBuffer()], { type: "video/webm" });
  const video = document.createElement("video");
  video.muted = true;
  video.src = URL.createObjectURL(blob);
  await new Promise((loaded, failed) => {
    video.onloadedmetadata = loaded;
    video.onerror = () => failed(new Error(video.error && video.error.message));
  });
  const duration = video.duration;
  video.currentTime = 4;
  await new Promise((seeked) => { video.onseeked = seeked; });
  await new Promise((ready) => {
    if (video.readyState >= 2) ready();
    else video.onloadeddata = ready;
  });
  return { duration, at: video.currentTime, width: video.videoWidth, bytes: blob.size };
}"""


def second_part_stored(response) -> bool:
    sent = response.request.post_data_buffer or b""
    offset = re.search(rb'name="offset"\r\n\r\n(\d+)', sent)
    return (
        response.url.endswith("/recordings") and response.ok and bool(offset) and int(offset[1]) > 0
    )


@pytest.mark.e2e
def test_a_recording_whose_tab_closes_without_stopping_is_kept_and_plays(live_server, new_page):
    base = live_server.base_url
    rep, kim, number = rep_with_a_customer(live_server, new_page)
    record_page = rep.url + "/record"
    press(rep, "Video")
    wait_decoded(kim, "video", me(rep))
    # A network that blips: the first part reaches the server but its answer
    # is lost, and its next try never gets there. It is sent until it is taken.
    parts = []

    def blip(route):
        parts.append(re.search(rb'name="offset"\r\n\r\n(\d+)', route.request.post_data_buffer)[1])
        if len(parts) == 1:
            route.fetch()
            return route.abort("connectionreset")
        if len(parts) == 2:
            return route.abort("internetdisconnected")
        return route.continue_()

    rep.route("**/recordings", blip)
    press(rep, "Inspelning")
    allow_recording(kim)
    started = time.monotonic()
    expect(kim.locator("#session-status .recording-on")).to_be_visible()
    # Listed on the rep's page from its first part, while it records.
    expect(rep.locator("#recordings a")).to_have_count(1, timeout=10000)
    # About 6 s in, once its second part (3-6 s) is stored, the tab goes
    # without a word: no stop, no last upload.
    with rep.expect_response(second_part_stored, timeout=20000):
        pass
    context = rep.context
    rep.close()
    recorded = time.monotonic() - started
    expect(shown(kim).get_by_text("Sessionen har avslutats")).to_be_visible(timeout=15000)

    again = context.new_page()
    again.goto(record_page)
    link = again.get_by_role("link", name=f"inspelning-{number.replace(' ', '')}-")
    expect(link).to_be_visible()
    played = again.evaluate(PLAYS, base + link.get_attribute("href"))
    # At least its first 4 s are there, and the file says how long it is.
    assert 4 <= played["duration"] <= recorded + 1, (played, recorded)
    assert played["at"] == 4 and played["width"] > 0, played
    # The same part (offset 0) three times, then the next one.
    assert parts[:3] == [b"0"] * 3 and int(parts[3]) > 0, parts
