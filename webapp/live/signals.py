"""WebRTC signalling between the pages of one session (R7, R3.3).

Offers, answers and ICE candidates pass through the session socket and the
bus without touching the database; the server only checks who may talk to
whom and that a message has the shape a browser would send.
"""

import json

MAX_BYTES = 64 * 1024  # an SDP with many tracks stays well under this
EVERYONE = "all"
_DESCRIPTION_TYPES = {"offer", "answer", "rollback", "pranswer"}
_STREAM_KINDS = {"desktop_sharing", "application_sharing", "video", "voice"}
_MAX_STREAMS = 16
_POINTABLE = {"desktop_sharing", "application_sharing"}
_MAX_POINTS = 64
_CANDIDATE_FIELDS = ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment")
_INVALID = object()  # None is a valid candidate: the end of candidates
# Inside JSON strings only: the frame's text holds no markup, so even a page
# that swapped it as HTML would show text (#13 item 2).
_NO_MARKUP = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def relayable(data: dict, sender_id: int, present: dict[int, str], is_open: bool) -> dict | None:
    """The bus message for a page's signal, or None to drop it: the sender or
    the addressee is not present in the open session, or a field has the
    wrong type or value. The signal relayed is rebuilt from the checked
    fields, never passed on as the page sent it."""
    to, page, to_page = data.get("to"), data.get("page"), data.get("to_page")
    if not is_open or sender_id not in present:
        return None
    # bool is an int in Python, and True == 1 would address participant 1.
    if to != EVERYONE and (type(to) is not int or to not in present):
        return None
    if not _is_page_id(page) or not (to_page is None or _is_page_id(to_page)):
        return None
    # A participant's pages talk to each other too (two tabs of one rep).
    if to == sender_id and (to_page is None or to_page == page):
        return None
    signal = checked(data.get("signal"))
    if signal is None:
        return None
    # Pointing at a shared screen is the controller's (#17 item 3).
    if "point" in signal and present.get(sender_id) != "controller":
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


def as_frame(message: dict) -> str:
    return json.dumps(message).translate(_NO_MARKUP)


def is_for(message: dict, viewer_id: int) -> bool:
    """Whether a viewer's sockets pass the message on; a page drops what is
    addressed to another page of the same participant."""
    to = message.get("to")
    return to in (viewer_id, EVERYONE)


def checked(signal) -> dict | None:
    """The signal as a browser sends it (peer.js, media.js), field by field,
    or None."""
    if not isinstance(signal, dict) or len(signal) != 1:
        return None
    [(name, value)] = signal.items()
    if name in ("hello", "welcome"):
        return {name: True} if value is True else None
    check = {
        "description": _description,
        "candidate": _candidate,
        "streams": _streams,
        "point": _point,
    }.get(name)
    if check is None:
        return None
    value = check(value)
    return None if value is _INVALID else {name: value}


def _description(description):
    """RTCSessionDescriptionInit: {type, sdp}; a rollback may omit its sdp."""
    if not isinstance(description, dict):
        return _INVALID
    kind, sdp = description.get("type"), description.get("sdp", "")
    if not isinstance(kind, str) or kind not in _DESCRIPTION_TYPES or not isinstance(sdp, str):
        return _INVALID
    return {"type": kind, "sdp": sdp}


def _candidate(candidate):
    """RTCIceCandidateInit, or None for the end of candidates."""
    if candidate is None:
        return None
    if not isinstance(candidate, dict):
        return _INVALID
    fields = {key: candidate[key] for key in _CANDIDATE_FIELDS if key in candidate}
    if not isinstance(fields.get("candidate", ""), str):
        return _INVALID
    if not all(_optional_str(fields.get(key)) for key in ("sdpMid", "usernameFragment")):
        return _INVALID
    index = fields.get("sdpMLineIndex")
    if index is not None and (type(index) is not int or not 0 <= index < 1024):
        return _INVALID
    return fields


def _streams(streams):
    """Which of the sender's streams carries which kind of activity."""
    if not isinstance(streams, dict) or not 0 < len(streams) <= _MAX_STREAMS:
        return _INVALID
    for stream_id, kind in streams.items():
        if not (0 < len(stream_id) <= 64 and isinstance(kind, str) and kind in _STREAM_KINDS):
            return _INVALID
    return dict(streams)


def _point(point):
    """A mark {key, x, y} or a stroke {key, path: [[x, y], …]} on a shared
    screen, in fractions of the picture."""
    if not isinstance(point, dict) or not isinstance(point.get("key"), str):
        return _INVALID
    owner, _, kind = point["key"].partition(":")
    if not (owner.isdecimal() and len(owner) <= 12 and kind in _POINTABLE):
        return _INVALID
    key = f"{int(owner)}:{kind}"
    if set(point) == {"key", "x", "y"} and _fraction(point["x"]) and _fraction(point["y"]):
        return {"key": key, "x": point["x"], "y": point["y"]}
    path = point.get("path")
    if (
        set(point) == {"key", "path"}
        and isinstance(path, list)
        and 1 < len(path) <= _MAX_POINTS
        and all(
            isinstance(at, list) and len(at) == 2 and all(_fraction(v) for v in at) for at in path
        )
    ):
        return {"key": key, "path": path}
    return _INVALID


def _fraction(value) -> bool:
    return type(value) in (int, float) and 0 <= value <= 1


def _optional_str(value) -> bool:
    return value is None or isinstance(value, str)


def _is_page_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 32 and value.isascii() and value.isalnum()
