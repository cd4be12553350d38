"""Several customers (R3): whom the rep helps, the multi-session window's
sessions, and the caps the admin sets (R1.2, R3.5)."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    SHARING_KINDS,
    Participant,
    ParticipantRole,
    SessionState,
    SiteSettings,
    SupportSession,
    User,
)
from webapp.services import activities, events
from webapp.services.errors import ServiceError

CAP_MAX = 100
CUSTOMER_SWITCHED = "customer_switched"
NO_SUCH_REP = _l("There is no such support representative.")


def site_settings() -> SiteSettings:
    """The settings row, or the defaults until an admin saves them: reading
    a page must not write, or two first visitors would race to insert it."""
    return db.session.get(SiteSettings, 1) or SiteSettings(
        id=1,
        multi_session_allowed=SiteSettings.multi_session_allowed.default.arg,
        customer_cap=SiteSettings.customer_cap.default.arg,
    )


def cap_of(user: User) -> int:
    return user.customer_cap if user.customer_cap is not None else site_settings().customer_cap


def may_multi_session(user: User) -> bool:
    if user.multi_session is not None:
        return user.multi_session
    return site_settings().multi_session_allowed


def select_customer(actor: Participant, customer: Participant) -> None:
    """R3.1-R3.2: the controller helps another customer; every running
    sharing activity ends by itself, on every page at once."""
    support_session = actor.support_session
    if not support_session.is_open:
        raise ServiceError(_l("This support session has ended."), 410)
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can do that."), 403)
    if (
        customer.support_session_id != support_session.id
        or customer.role != ParticipantRole.CUSTOMER
        or customer.left_at is not None
    ):
        raise ServiceError(_l("Choose a customer who is taking part in this session."), 400)
    if support_session.helped_participant_id == customer.id:
        return
    events.bump_version(support_session)
    activities.end_running(support_session, CUSTOMER_SWITCHED, kinds=SHARING_KINDS)
    support_session.helped = customer
    events.record(support_session, "customer_selected", actor, customer_id=customer.id)
    db.session.commit()


def hold_seat_for(support_session: SupportSession) -> None:
    """Before a customer takes a seat: refuses it when the rep in control
    already helps as many customers as it may (R3.5). The caller commits."""
    controller = support_session.controller
    if controller is None or controller.user is None:
        return  # waiting in a WebACD queue: the agent who accepts is checked then
    rep = controller.user
    if _at_cap(rep):
        raise ServiceError(
            _l(
                "The support representative is helping as many customers as they can "
                "right now. Please try again in a little while."
            ),
            409,
        )


def customers_helped_by(rep: User) -> int:
    """Present customers in the open sessions the rep controls."""
    controller = so.aliased(Participant)
    return db.session.scalar(
        sa.select(sa.func.count(Participant.id))
        .join(SupportSession, Participant.support_session_id == SupportSession.id)
        .join(controller, controller.id == SupportSession.controller_id)
        .where(
            controller.user_id == rep.id,
            SupportSession.state != SessionState.ENDED,
            Participant.role == ParticipantRole.CUSTOMER,
            Participant.left_at.is_(None),
        )
    )


def check_room_for(rep: User, support_session: SupportSession) -> None:
    """R3.5 when a session changes hands (control, a WebACD offer): its
    customers count against the rep who takes it. The caller holds the
    rep's lock or takes it here."""
    lock_seats(rep)
    customers_here = [
        p for p in support_session.present_participants() if p.role == ParticipantRole.CUSTOMER
    ]
    if customers_helped_by(rep) + len(customers_here) > cap_of(rep):
        db.session.rollback()
        raise ServiceError(
            _l(
                "%(name)s is helping as many customers as they may at once.",
                name=rep.name,
            ),
            409,
        )


def check_may_start(rep: User) -> None:
    """R3.5: a rep without the privilege of several sessions runs one at a time."""
    if may_multi_session(rep):
        return
    lock_seats(rep)
    controller = so.aliased(Participant)
    running = db.session.scalar(
        sa.select(sa.func.count(SupportSession.id))
        .join(controller, controller.id == SupportSession.controller_id)
        .where(controller.user_id == rep.id, SupportSession.state != SessionState.ENDED)
    )
    if running:
        db.session.rollback()
        raise ServiceError(
            _l("You already have a session open. End it before you start another."), 409
        )


def check_may_open_window_session(rep: User) -> None:
    """R3.4: the privilege of several sessions, and room for one more customer."""
    if not may_multi_session(rep):
        raise ServiceError(_l("You may not run several sessions at once."), 403)
    if _at_cap(rep):
        raise ServiceError(
            _l(
                "You are helping as many customers as you may at once (%(cap)d). "
                "End a session first.",
                cap=cap_of(rep),
            ),
            409,
        )


def window_sessions(rep: User) -> list[SupportSession]:
    """The tabs of the rep's window: its open sessions, and ended ones it
    has not closed yet, so an ended tab can say so."""
    return list(
        db.session.scalars(
            sa.select(SupportSession)
            .where(SupportSession.window_user_id == rep.id)
            .order_by(SupportSession.id)
        )
    )


def close_tab(rep: User, support_session: SupportSession) -> None:
    if support_session.window_user_id != rep.id:
        raise ServiceError(_l("You are not taking part in this session."), 403)
    if support_session.is_open:
        raise ServiceError(_l("End the session before you close its tab."), 409)
    support_session.window_user_id = None
    events.record(support_session, "tab_closed", None, user_id=rep.id)
    events.notify_user(rep.id, "tab_closed", support_session_id=support_session.id)
    db.session.commit()


def _at_cap(rep: User) -> bool:
    """Whether the rep already helps as many customers as it may; locks the
    rep first, and on True rolls back so the caller can refuse cleanly."""
    lock_seats(rep)
    if customers_helped_by(rep) >= cap_of(rep):
        db.session.rollback()
        return True
    return False


def lock_seats(user: User) -> None:
    """Serialises seat counting for one rep or agent (User.seat_lock): the
    UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so
    of two joins, accepts or offers at once the second counts the first.
    The one seat lock: customer caps (R3.5) and WebACD capacity (R6.6) both
    take it."""
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(seat_lock=User.seat_lock + 1)
        .execution_options(synchronize_session=False)
    )


def update_site_settings(
    admin: User, multi_session_allowed: bool, cap: str, retention_days: str = ""
) -> SiteSettings:
    """R1.2, R3.5: the admin's site-wide rules, and how long ended sessions keep their data."""
    require_admin(admin)
    settings = site_settings()
    db.session.add(settings)
    settings.customer_cap = _clean_cap(cap, required=True)
    settings.retention_days = _clean_retention(retention_days)
    settings.multi_session_allowed = multi_session_allowed
    db.session.commit()
    return settings


def update_rep_privileges(admin: User, rep: User, multi_session: str, cap: str) -> User:
    """A rep's own privileges narrow or widen the site's (R3.5); empty
    values follow the site."""
    require_admin(admin)
    choices = {"": None, "allow": True, "deny": False}
    if multi_session not in choices:
        raise ServiceError(_l("Choose one of the offered values."), 400, field="multi_session")
    rep.customer_cap = _clean_cap(cap, required=False)
    rep.multi_session = choices[multi_session]
    db.session.commit()
    return rep


def _clean_cap(raw: str, required: bool) -> int | None:
    raw = (raw or "").strip()
    if not raw and not required:
        return None
    if not raw.isdecimal() or not 1 <= int(raw) <= CAP_MAX:
        db.session.rollback()
        raise ServiceError(
            _l("Enter a whole number from 1 to %(max)d.", max=CAP_MAX), 400, field="customer_cap"
        )
    return int(raw)


RETENTION_MAX_DAYS = 3650


def _clean_retention(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or not 1 <= int(raw) <= RETENTION_MAX_DAYS:
        db.session.rollback()
        raise ServiceError(
            _l(
                "Enter a whole number of days from 1 to %(max)d, or leave it empty.",
                max=RETENTION_MAX_DAYS,
            ),
            400,
            field="retention_days",
        )
    return int(raw)


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise ServiceError(_l("Only an administrator can change the settings."), 403)
