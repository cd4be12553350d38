"""Who is asking, for routes that staff and customers share (the session
socket, activities, files): a logged-in rep's present seat, else the seat the
customer's browser holds."""

from flask_login import current_user

from webapp.blueprints.join import current_seat
from webapp.models import Participant
from webapp.services import files, sessions


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
