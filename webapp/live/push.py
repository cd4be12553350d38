"""Turns session state into the HTML fragments one viewer's socket receives.

The partials are the same files the pages include, so a panel looks the same
whether it came with the page or over the socket (DESIGN.md "templates").
"""

from flask import current_app, render_template
from flask_babel import force_locale

from webapp.models import Participant, SupportSession


def panel_context(support_session: SupportSession, viewer: Participant) -> dict:
    live = current_app.extensions["live"]
    participants = support_session.present_participants()
    return {
        "support_session": support_session,
        "viewer": viewer,
        "participants": participants,
        "online_ids": live.presence.connected_among([p.id for p in participants]),
    }


def render_panels(support_session: SupportSession, viewer: Participant, locale: str) -> str:
    with force_locale(locale):
        context = panel_context(support_session, viewer)
        if not support_session.is_open:
            return render_template("session/_ended.html", oob=True, **context)
        return render_template("session/_participants.html", oob=True, **context) + (
            render_template("session/_status.html", oob=True, **context)
        )
