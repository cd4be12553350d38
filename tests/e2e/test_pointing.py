"""Pointing at the shared screen (#17 item 3): a click by the rep in control
shows a mark at the same spot of the picture on every page that shows the
share, the sharer's own preview included, whatever the size of its tile."""

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import ARTIFACTS
from tests.e2e.steps import me, press, rep_with_a_customer, wait_decoded

# Where the page's mark sits, as fractions of the shared picture in its tile.
MARK_AT = """(key) => {
  const figure = document.querySelector(`#media-stage figure[data-key="${key}"]`);
  const mark = figure.querySelector(".pointer-mark");
  const video = figure.querySelector("video");
  const box = video.getBoundingClientRect();
  const ratio = video.videoWidth / video.videoHeight;
  const width = Math.min(box.width, box.height * ratio);
  const height = width / ratio;
  const left = box.left + (box.width - width) / 2;
  const top = box.top + (box.height - height) / 2;
  const at = mark.getBoundingClientRect();
  return [(at.left + at.width / 2 - left) / width, (at.top + at.height / 2 - top) / height];
}"""

# Where in the tile's <video> box a point of the picture is (letterboxing).
VIDEO_POINT = """([key, x, y]) => {
  const video = document.querySelector(`#media-stage figure[data-key="${key}"] video`);
  const box = video.getBoundingClientRect();
  const ratio = video.videoWidth / video.videoHeight;
  const width = Math.min(box.width, box.height * ratio);
  const height = width / ratio;
  return [(box.width - width) / 2 + x * width, (box.height - height) / 2 + y * height];
}"""


@pytest.mark.e2e
def test_a_click_on_the_shared_screen_marks_the_same_spot_for_the_customer(live_server, new_page):
    rep, kim, _number = rep_with_a_customer(live_server, new_page, width=390, height=844)
    key = f"{me(kim)}:desktop_sharing"
    press(kim, "Skrivbordsdelning")
    wait_decoded(rep, "desktop_sharing", me(kim))
    wait_decoded(kim, "desktop_sharing", me(kim))

    x, y = rep.evaluate(VIDEO_POINT, [key, 0.25, 0.4])
    rep.locator(f'#media-stage figure[data-key="{key}"] video').click(position={"x": x, "y": y})
    for name, page in (("rep", rep), ("customer", kim)):  # a wide tile and a narrow preview
        expect(page.locator(f'figure[data-key="{key}"] .pointer-mark')).to_have_count(1)
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#media").screenshot(path=ARTIFACTS / f"pointing-{name}.png")
        at = page.evaluate(MARK_AT, key)
        assert abs(at[0] - 0.25) < 0.02 and abs(at[1] - 0.4) < 0.02, at
    # It fades on its own.
    expect(kim.locator(".pointer-mark")).to_have_count(0, timeout=8000)

    # A customer's click points at nothing: only the rep in control points.
    kx, ky = kim.evaluate(VIDEO_POINT, [key, 0.5, 0.5])
    kim.locator(f'#media-stage figure[data-key="{key}"] video').click(position={"x": kx, "y": ky})
    kim.wait_for_timeout(1000)
    expect(rep.locator(".pointer-mark")).to_have_count(0)
    expect(kim.locator(".pointer-mark")).to_have_count(0)

    # A drag draws a stroke that every page showing the share draws too.
    video = rep.locator(f'#media-stage figure[data-key="{key}"] video').bounding_box()
    start = rep.evaluate(VIDEO_POINT, [key, 0.2, 0.2])
    end = rep.evaluate(VIDEO_POINT, [key, 0.6, 0.6])
    rep.mouse.move(video["x"] + start[0], video["y"] + start[1])
    rep.mouse.down()
    rep.mouse.move(video["x"] + end[0], video["y"] + end[1], steps=8)
    rep.mouse.up()
    for page in (rep, kim):
        stroke = page.locator(f'figure[data-key="{key}"] .pointer-stroke polyline')
        expect(stroke).to_have_count(1)
        assert len(stroke.get_attribute("points").split()) >= 3
