"""Who is asking: a logged-in rep's present seat, else the seat the
customer's browser holds (its secret kept in the signed session cookie), and
whether a socket was opened by one of our own pages. One home for what the
join, dashboard, WebACD, file and socket routes all need."""

from urllib.parse import urlsplit

from flask import request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.models import Participant
from webapp.services import files, sessions
from webapp.services.errors import ServiceError


def seat_secret(support_session_id: int) -> str | None:
    return session.get("seats", {}).get(str(support_session_id))


def current_seat(support_session_id: int) -> Participant | None:
    return sessions.customer_by_secret(support_session_id, seat_secret(support_session_id))


SEATS_KEPT = 20  # a browser keeps 4 KB of cookie; each seat takes some 60 bytes


def keep_seat(customer: Participant, secret: str) -> None:
    """The newest seats only: a browser that asked for help a hundred times
    would otherwise outgrow its cookie and silently lose every seat."""
    seats = dict(session.get("seats", {}))
    seats.pop(str(customer.support_session_id), None)
    seats[str(customer.support_session_id)] = secret
    session["seats"] = dict(list(seats.items())[-SEATS_KEPT:])


def staff_seat(support_session_id: int) -> Participant:
    seat = sessions.staff_participant(support_session_id, current_user)
    if seat is None:
        raise ServiceError(_l("You are not taking part in this session."), 403)
    return seat


def same_site() -> bool:
    """Cookies ride along on a socket opened by any page; only ours may open one."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).hostname == urlsplit(f"//{request.host}").hostname


def viewer_of(support_session_id: int) -> Participant | None:
    """The requester's present seat in the session, or None."""
    if current_user.is_authenticated:
        seat = sessions.staff_participant(support_session_id, current_user)
        if seat is not None:
            return seat
    seat = current_seat(support_session_id)
    return seat if seat is not None and seat.left_at is None else None


def keeper_of(support_session_id: int) -> Participant | None:
    """For files and recordings: the present seat, or once the session has
    ended the logged-in rep's seat in it, since its staff keep what it kept."""
    seat = viewer_of(support_session_id)
    if seat is None and current_user.is_authenticated:
        seat = files.former_staff_seat(support_session_id, current_user)
    return seat
