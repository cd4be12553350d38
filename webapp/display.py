"""What templates show the same way on every page: times in the viewer's own
time zone and language, and the vendored icons (#15 item 2)."""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_decimal
from flask import Flask, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from markupsafe import Markup

# Set by ui.js from the browser's own setting, on every page before the first
# that shows a time (the join form, the login page).
ZONE_COOKIE = "tz"
_ICONS = Path(__file__).parent / "static" / "vendor" / "lucide"


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def viewer_zone() -> zoneinfo.ZoneInfo | None:
    """The zone this page is rendered for; None when it is rendered once for
    many viewers, or the browser has not told its zone yet."""
    if not has_request_context() or g.get("_shared_render"):
        return None
    name = request.cookies.get(ZONE_COOKIE, "")
    return zoneinfo.ZoneInfo(name) if name in _zones() else None


@contextmanager
def shared_render() -> Iterator[None]:
    """For HTML rendered once and sent to many viewers (the live panels): the
    times stay in UTC, and each page's script puts them in its own zone as it
    swaps them in, before the browser paints."""
    previous = g.get("_shared_render")
    g._shared_render = True
    try:
        yield
    finally:
        g._shared_render = previous


def local_time(moment: datetime | None, with_date: bool = False) -> Markup:
    """A `<time>` with the clock time in the viewer's zone and language; a
    day other than today also shows its date."""
    if moment is None:
        return Markup("")
    stamp = moment.isoformat() + "Z"  # naive UTC throughout (models/base.py)
    zone = viewer_zone()
    if zone is None:
        text = moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
        return Markup('<time datetime="{}">{}</time>').format(stamp, text)
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    locale = Locale.parse(str(get_locale()))
    clock = format_time(local, "short", locale=locale)
    if with_date or local.date() != datetime.now(zone).date():
        day = format_date(local, "medium", locale=locale)
        clock = locale.datetime_formats["medium"].format(clock, day)
    return Markup('<time datetime="{}" data-zone>{}</time>').format(stamp, clock)


@cache
def _icon_svg(name: str) -> str:
    svg = (_ICONS / f"{name}.svg").read_text()
    svg = svg[svg.index("<svg") :]  # the license comment is in LICENSE beside it
    return svg.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1)


def icon(name: str) -> Markup:
    """An icon beside a control's text, never instead of it: hidden from
    screen readers, drawn in the text's colour."""
    return Markup(_icon_svg(name))


def duration(span: timedelta | None) -> str:
    """How long something ran, as a person would say it (1 h 5 min, 3 min 20 s)."""
    if span is None:
        return ""
    return format_timedelta(
        span, threshold=1, granularity="second", format="short", locale=get_locale()
    )


def seconds(value: float | None) -> str:
    """A report's wait or handle time: 45 s, 3 min 20 s, 1 h 5 min."""
    if value is None:
        return "\u2013"  # an en dash: nothing to measure
    whole = round(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if minutes:
        return _("%(minutes)d min %(seconds)d s", minutes=minutes, seconds=secs)
    return _("%(seconds)d s", seconds=secs)


def one_decimal(value: float | None) -> str:
    """A mean as the reader writes it: 4,0 in Swedish, 4.0 in English."""
    if value is None:
        return "\u2013"
    return format_decimal(value, format="0.0", locale=get_locale())


def _translations():
    """The catalog of the locale in force, looked up once per context: a
    dashboard says some 80 words through gettext, and Flask-Babel resolved
    its context, domain and locale again for each: 0.6 ms of the page's
    4.0 ms of templates (#18).
    Kept where Flask-Babel keeps it, `babel_translations`, which its
    force_locale and refresh clear and restore, so the two cannot part."""
    state = g.get("_flask_babel") if has_app_context() else None
    translations = getattr(state, "babel_translations", None)
    if translations is None:
        translations = get_translations()
        state = g.get("_flask_babel") if has_app_context() else None
        if state is not None:
            state.babel_translations = translations
    return translations


def register(app: Flask) -> None:
    # The same callables Flask-Babel installs, with the catalog found once.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.add_template_filter(one_decimal)
    app.add_template_filter(local_time)
    app.add_template_filter(duration)
    app.add_template_filter(seconds)
    app.add_template_global(icon)
