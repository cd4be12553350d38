"""What a screen reader hears as a session goes on (#15 item 1): one
sentence per event, appended to the page's one polite live region,
#announcer (base.html).

The panels a socket swaps are not live regions, so a re-render, a reconnect
or a history sent afresh says nothing; these sentences are the only speech,
so a new participant, a chat line, an offer or the end is heard once. One's
own doing is not told back, but for the end, which every page says.
"""

from flask import render_template
from flask_babel import gettext as _

from webapp.extensions import db
from webapp.models import Participant

# Session events that may be spoken; the rest (presence, signals, files, …) only change panels.
SPOKEN = frozenset(
    {"joined", "left", "control_transferred", "transferred_to_acd", "offer_accepted",
     "activity_started", "returned_to_agent"}
)  # fmt: skip


def announcement(text: str, region: str = "announcer") -> str:
    """The oob fragment that appends `text` to #announcer (or another region)."""
    return render_template("_announce.html", text=text, region=region)


def session_sentence(message: dict, viewer_id: int) -> str | None:
    """What the viewer hears for a session event, in the current locale;
    None for the many events that only change a panel."""
    kind = message["kind"]
    if message.get("participant_id") == viewer_id:
        return None
    name = message.get("participant_name")
    if kind == "control_transferred":
        if message.get("to_participant_id") == viewer_id:
            return _("You are in control of this session.")
        controller = db.session.get(Participant, message.get("to_participant_id") or 0)
        if controller is None:
            return None
        return _("%(name)s is in control of this session.", name=controller.name)
    if kind == "transferred_to_acd":
        return _("The session is being transferred")
    if name is None:  # published by an older process, during a deploy
        return None
    if kind == "joined":
        return _("%(name)s joined the session.", name=name)
    if kind == "left":
        return _("%(name)s left the session.", name=name)
    if kind == "offer_accepted":
        return _("You are connected. %(name)s from support is with you.", name=name)
    if kind == "returned_to_agent":
        return _(
            "No support agent could take the session, so %(name)s from support is with you again.",
            name=name,
        )
    if kind == "activity_started" and message.get("activity_kind") == "recording":
        return _("%(name)s is recording this session.", name=name)
    return None


def chat_sentence(author_name: str, text: str) -> str:
    return _("%(name)s wrote: %(text)s", name=author_name, text=text)


def session_ended() -> str:
    return announcement(_("The session has ended"))
