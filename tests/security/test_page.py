"""What reaches a page over its socket runs no code and, when it is JSON,
becomes no markup: htmx evaluates nothing and runs no script tags, and a
signal frame whose SDP is HTML is not swapped, even on a page whose media
script did not load (#13 item 2)."""

import json
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import (
    count_socket_closes,
    join_by_number,
    log_in_and_start,
    make_rut,
    me,
    rep_with_two_customers,
)
from tests.security.sockets import open_socket, wait_for_frame

FORGED = "Rut: type your password here"  # ASCII: JSON would escape the rest


@pytest.mark.e2e
def test_htmx_evaluates_nothing_and_runs_no_script_tags(live_server, new_page):
    page = new_page()
    page.goto(live_server.base_url + "/join/")
    config = page.evaluate("() => [htmx.config.allowEval, htmx.config.allowScriptTags]")
    assert config == [False, False]


@pytest.mark.e2e
def test_a_signal_with_markup_is_not_swapped_into_the_addressees_page(live_server, new_page):
    base = live_server.base_url
    make_rut(live_server)
    rep = new_page()
    rep.route("**/js/media.js", lambda route: route.abort())  # no listener takes the JSON
    number = log_in_and_start(rep, base)
    kim = new_page()
    join_by_number(kim, base, number, "Kim")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in kim.context.cookies())
    url = base.replace("http://", "ws://") + rep.locator("#session-live").get_attribute(
        "ws-connect"
    )
    attacker = open_socket(url, cookie)
    wait_for_frame(attacker, 'id="participants"')

    forged = f"<ol id=chat-log hx-swap-oob=true><li>{FORGED}</li></ol>"
    offer = {"description": {"type": "offer", "sdp": forged}}
    attacker.send(json.dumps({"to": me(rep), "page": "evil1", "signal": offer}))
    attacker.send(json.dumps({"message": "Efter signalen"}))  # arrives after the signal
    expect(rep.locator("#chat-log")).to_contain_text("Efter signalen")
    expect(rep.locator("body")).not_to_contain_text(FORGED)
    attacker.close()


@pytest.mark.e2e
def test_a_page_closed_for_falling_behind_reconnects_and_catches_up(
    live_server, new_page, monkeypatch
):
    from webapp.live import signals

    rep, kim, ola = rep_with_two_customers(live_server, new_page)
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in ola.context.cookies())
    url = live_server.base_url.replace("http://", "ws://")
    url += kim.locator("#session-live").get_attribute("ws-connect")
    attacker = open_socket(url, cookie)
    wait_for_frame(attacker, 'id="participants"')
    live_server.extensions["live"].limits.queue_messages = 4  # for sockets opened from now
    kim.reload()
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    count_socket_closes(kim)
    delivered = signals.delivered

    def slowly(message):  # Kim's socket drains slower than signals come
        time.sleep(0.05)
        return delivered(message)

    monkeypatch.setattr(signals, "delivered", slowly)
    offer = {"description": {"type": "offer", "sdp": "v=0"}}
    for _ in range(40):
        attacker.send(json.dumps({"to": me(kim), "page": "flood1", "signal": offer}))
    kim.wait_for_function("() => window.socketCloses >= 1")
    monkeypatch.setattr(signals, "delivered", delivered)
    expect(kim.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    rep.get_by_label("Meddelande").fill("Efter återanslutningen")
    rep.get_by_role("button", name="Skicka", exact=True).click()
    expect(kim.locator("#chat-log")).to_contain_text("Efter återanslutningen")
    attacker.close()
