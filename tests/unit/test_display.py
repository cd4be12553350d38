"""Times in the viewer's zone and language, and icons (#15 item 2)."""

from datetime import datetime, timedelta

from flask import render_template_string, session
from flask_babel import force_locale, refresh

from webapp.display import icon, local_time, shared_render
from webapp.models.base import utcnow


def rendered(app, moment, zone: str | None, locale: str = "sv", **options) -> str:
    headers = {"Cookie": f"tz={zone}"} if zone else {}
    with app.test_request_context("/", headers=headers), force_locale(locale):
        return str(local_time(moment, **options))


def test_a_time_is_shown_in_the_zone_the_browser_told(app):
    moment = utcnow().replace(hour=8, minute=5)  # 08:05 UTC today
    stamp = f'datetime="{moment.isoformat()}Z"'
    stockholm = rendered(app, moment, "Europe/Stockholm")
    assert stamp in stockholm and "data-zone" in stockholm
    # Winter or summer time; after 23:00 UTC it is tomorrow in Stockholm,
    # so the date comes before the time.
    assert stockholm.endswith((" 09:05</time>", ">09:05</time>", " 10:05</time>", ">10:05</time>"))
    new_york = rendered(app, moment, "America/New_York", "en")
    assert "AM</time>" in new_york and ("3:05" in new_york or "4:05" in new_york)


def test_without_a_zone_or_with_a_made_up_one_the_script_converts(app):
    moment = datetime(2026, 12, 3, 8, 5)
    for zone in (None, "Mars/Olympus", "../../etc/passwd", "Europe%2FStockholm"):
        html = rendered(app, moment, zone)
        assert html == '<time datetime="2026-12-03T08:05:00Z">08:05</time>', zone


def test_another_day_shows_its_date_in_the_viewers_language(app):
    moment = utcnow() - timedelta(days=3)
    swedish = rendered(app, moment, "UTC")
    english = rendered(app, moment, "UTC", "en")
    assert f"{moment.year}" in swedish and f"{moment.year}" in english
    assert swedish != english
    assert f"{moment.year}" in rendered(app, utcnow(), "UTC", with_date=True)


def test_a_page_rendered_for_many_viewers_keeps_utc(app):
    moment = datetime(2026, 12, 3, 8, 5)
    with app.test_request_context("/", headers={"Cookie": "tz=Asia/Tokyo"}):
        with shared_render():
            assert "data-zone" not in str(local_time(moment))
        assert "data-zone" in str(local_time(moment))


def test_an_icon_is_hidden_from_screen_readers():
    svg = str(icon("mic"))
    assert svg.startswith('<svg aria-hidden="true" focusable="false"')
    assert "@license" not in svg and "currentColor" in svg


def test_templates_speak_the_locale_in_force_and_return_to_the_pages(app):
    """The template catalog is looked up once per request: a panel rendered
    in another language inside the request, and a language changed on the
    way, must still be honoured (display._translations)."""
    word = "{{ _('Customer') }}"
    with app.test_request_context("/"):
        assert render_template_string(word) == "Kund"
        with force_locale("en"):
            assert render_template_string(word) == "Customer"
            with force_locale("sv"):
                assert render_template_string(word) == "Kund"
            assert render_template_string(word) == "Customer"
        assert render_template_string(word) == "Kund"
        session["locale"] = "en"
        refresh()
        assert render_template_string(word) == "Customer"
