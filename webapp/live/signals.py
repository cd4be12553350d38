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
    if not is_open or sender_id not in present or not isinstance(signal, dict):
        return None
    if to != EVERYONE and (not isinstance(to, int) or to == sender_id or to not in present):
        return None
    if not _well_formed(signal):
        return None
    return {"kind": "signal", "from": sender_id, "to": to, "signal": signal}


def is_for(message: dict, viewer_id: int) -> bool:
    to = message.get("to")
    return to == viewer_id or (to == EVERYONE and message.get("from") != viewer_id)


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
