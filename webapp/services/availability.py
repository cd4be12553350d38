"""Tillgänglig / Borta (R6.6): a WebACD agent's availability, and what
follows from it for the offers it holds and the sessions that wait."""

from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import OfferState, SupportSession, User
from webapp.models.base import utcnow
from webapp.services import acd, events
from webapp.services.errors import ServiceError


def set_availability(agent: User, available: bool) -> None:
    """Tillgänglig / Borta (R6.6). Going away takes the agent's offers back
    and passes them on; coming back routes what waits for it."""
    if not agent.is_agent:
        raise ServiceError(_l("Only WebACD agents have an availability."), 403)
    if agent.available == available:
        return
    agent.available = available
    if available:
        agent.idle_since = utcnow()  # time away is not time spent waiting for work
    events.notify_user(agent.id, "availability", available=available)
    db.session.commit()  # on its own: routing locks sessions before agents
    if available:
        acd.route_waiting_for(agent)
        return
    for offer in acd.pending_offers_of(agent):
        if not acd.lock_queued(offer.support_session_id):
            continue
        db.session.refresh(offer)  # an accept may have decided it meanwhile
        if offer.state == OfferState.PENDING:
            acd.withdraw(offer)
            support_session = db.session.get(SupportSession, offer.support_session_id)
            acd.route(support_session, exclude=frozenset({agent.id}))
    db.session.commit()
