"""WebRTC signalling between the pages of one session (R7, R3.3).

Offers, answers and ICE candidates pass through the session socket and the
bus without touching the database; the server only checks who may talk to
whom and that a message has the shape a browser would send.
"""

MAX_BYTES = 64 * 1024  # an SDP with many tracks stays well under this
EVERYONE = "all"
_DESCRIPTION_TYPES = {"offer", "answer", "rollback", "pranswer"}
_STREAM_KINDS = {"desktop_sharing", "application_sharing", "video", "voice"}


def relayable(data: dict, sender_id: int, present: dict[int, str], is_open: bool) -> dict | None:
    """The bus message for a page's signal, or None to drop it: the sender or
    the addressee is not present in the open session, or the shape is wrong."""
    to, signal = data.get("to"), data.get("signal")
    page, to_page = data.get("page"), data.get("to_page")
    if not is_open or sender_id not in present or not isinstance(signal, dict):
        return None
    if to != EVERYONE and (not isinstance(to, int) or to not in present):
        return None
    # A participant's pages talk to each other too (two tabs of one rep).
    if to == sender_id and (to_page is None or to_page == page):
        return None
    if not _is_page_id(page) or not (to_page is None or _is_page_id(to_page)):
        return None
    if not _well_formed(signal):
        return None
    return {
        "kind": "signal",
        "from": sender_id,
        "from_page": page,
        "to": to,
        "to_page": to_page,
        "signal": signal,
    }


def delivered(message: dict) -> dict:
    """What the addressee's page receives."""
    return {key: message[key] for key in ("from", "from_page", "to_page", "signal")}


def is_for(message: dict, viewer_id: int) -> bool:
    """Whether a viewer's sockets pass the message on; a page drops what is
    addressed to another page of the same participant."""
    to = message.get("to")
    return to in (viewer_id, EVERYONE)


def _is_page_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 32 and value.isascii() and value.isalnum()


def _well_formed(signal: dict) -> bool:
    if set(signal) in ({"hello"}, {"welcome"}):
        return next(iter(signal.values())) is True
    if set(signal) == {"description"}:
        description = signal["description"]
        return (
            isinstance(description, dict)
            and description.get("type") in _DESCRIPTION_TYPES
            and isinstance(description.get("sdp", ""), str)
        )
    if set(signal) == {"candidate"}:
        candidate = signal["candidate"]
        return candidate is None or (
            isinstance(candidate, dict) and isinstance(candidate.get("candidate", ""), str)
        )
    if set(signal) == {"streams"}:
        streams = signal["streams"]
        return isinstance(streams, dict) and all(
            isinstance(stream_id, str) and kind in _STREAM_KINDS
            for stream_id, kind in streams.items()
        )
    return False
