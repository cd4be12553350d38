"""Recording asks the customers first (#16 item 4, docs/security.md).

The controlling rep asks; every customer present sees "Supporten vill spela
in sessionen" and answers Tillåt or Neka. Nothing is recorded until every
customer present has allowed: `start_activity` refuses a recording, and
`recordings.receive` refuses its parts, whatever the rep's page sends. A
customer may withdraw at any time, and the recording ends at once. A
customer who joins while a recording runs ends it and is asked in turn; the
rep's page records again, a new file, once everyone has allowed.

Consent lasts for the seat: a customer who allowed is not asked again for
the next recording of the session, until they withdraw. Each decision is an
event of the session's audit chain.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from webapp.extensions import db
from webapp.models import (
    ActivityKind,
    ConsentDecision,
    EndReason,
    Participant,
    ParticipantRole,
    RecordingConsent,
    SupportSession,
)
from webapp.models.base import utcnow
from webapp.services import activities, events
from webapp.services.errors import ServiceError

RECORDING = frozenset({ActivityKind.RECORDING})
NOT_ALLOWED = _l("Recording needs the consent of every customer present. Nothing was stored.")

# The session's consent as the rep's page sees it.
NONE, WAITING, DENIED, WITHDRAWN, ALLOWED = "none", "waiting", "denied", "withdrawn", "allowed"


@dataclass(frozen=True)
class ConsentView:
    """What the consent panel shows: the session's state and each present
    customer's latest decision (None: never asked)."""

    state: str
    decisions: dict[int, str | None]

    def of(self, participant: Participant) -> str | None:
        return self.decisions.get(participant.id)


def view(support_session: SupportSession) -> ConsentView:
    decisions = {
        customer.id: customer.recording_consent.decision if customer.recording_consent else None
        for customer in _present_customers(support_session)
    }
    return ConsentView(_state(decisions.values()), decisions)


def asked_ids(support_session: SupportSession) -> frozenset[int]:
    """The customers whose page shows the question now."""
    return frozenset(
        participant.id
        for participant in support_session.participants
        if participant.recording_consent is not None
        and participant.recording_consent.decision == ConsentDecision.ASKED
    )


def ever_asked(support_session: SupportSession) -> bool:
    """Whether anyone of the session was ever asked: its consent panel can
    only change from then on."""
    return any(participant.recording_consent for participant in support_session.participants)


def _state(decisions) -> str:
    decisions = list(decisions)
    if not decisions or all(d == ConsentDecision.ALLOWED for d in decisions):
        return ALLOWED  # with no customer present there is nobody to ask
    for decision, state in (
        (ConsentDecision.DENIED, DENIED),
        (ConsentDecision.WITHDRAWN, WITHDRAWN),
        (ConsentDecision.ASKED, WAITING),
    ):
        if decision in decisions:
            return state
    return NONE


def ask(actor: Participant) -> str:
    """The controlling rep asks every present customer who has not allowed;
    returns the session's state ("allowed": record now)."""
    activities.require_present(actor)
    if not actor.is_controller:
        raise ServiceError(_l("Only the representative in control can record."), 403)
    support_session = actor.support_session
    events.lock_open(support_session)
    rows = _rows(support_session.id)
    for customer in _present_customers(support_session):
        row = rows.get(customer.id)
        if row is not None and row.decision in (ConsentDecision.ALLOWED, ConsentDecision.ASKED):
            continue
        _decide(customer, ConsentDecision.ASKED, row, asked_by=actor)
    db.session.commit()
    return view(support_session).state


def answer(customer: Participant, allow: bool) -> None:
    """The customer's Tillåt or Neka to the question on their page."""
    row = _own_row(customer)
    if row is None or row.decision != ConsentDecision.ASKED:
        raise ServiceError(_l("Nobody is asking to record right now."), 409)
    _decide(customer, ConsentDecision.ALLOWED if allow else ConsentDecision.DENIED, row)
    db.session.commit()


def withdraw(customer: Participant) -> None:
    """The customer takes consent back: every recording of the session ends
    now, on every page (its end is pushed like any other activity's)."""
    row = _own_row(customer)
    if row is None or row.decision != ConsentDecision.ALLOWED:
        raise ServiceError(_l("You have not allowed recording."), 409)
    _decide(customer, ConsentDecision.WITHDRAWN, row)
    activities.end_running(customer.support_session, EndReason.CONSENT_WITHDRAWN, kinds=RECORDING)
    db.session.commit()


def require_allowed(support_session: SupportSession) -> None:
    """Refuses to record while a customer present has not allowed."""
    if view(support_session).state != ALLOWED:
        raise ServiceError(NOT_ALLOWED, 403)


@events.listen(events.RECORDING_STARTING)
def _check_before_recording(support_session: SupportSession) -> None:
    require_allowed(support_session)


@events.listen(events.CUSTOMER_SEATED)
def _ask_newcomer(support_session: SupportSession, customer: Participant) -> None:
    """A customer who joins while a recording runs, or while others are
    asked, must be asked too; the recording stops meanwhile (the simplest
    rule that never records someone who did not allow)."""
    rows = _rows(support_session.id)
    # A question stays open only on a page that is there: one asked customer
    # who left does not make every later newcomer see it.
    asking = any(
        rows[other.id].decision == ConsentDecision.ASKED
        for other in _present_customers(support_session)
        if other.id != customer.id and other.id in rows
    )
    recording = any(
        a.kind == ActivityKind.RECORDING for a in activities.running(support_session.id)
    )
    if not (asking or recording):
        return
    if recording:
        activities.end_running(support_session, EndReason.CONSENT_MISSING, kinds=RECORDING)
    _decide(customer, ConsentDecision.ASKED, None, asked_by=support_session.controller)


def _decide(
    customer: Participant,
    decision: ConsentDecision,
    row: RecordingConsent | None,
    asked_by: Participant | None = None,
) -> None:
    if row is None:
        row = RecordingConsent(
            support_session_id=customer.support_session_id, participant_id=customer.id
        )
        db.session.add(row)
    row.decision, row.decided_at = decision, utcnow()
    db.session.flush()
    events.record(
        customer.support_session,
        f"consent_{decision}",
        asked_by if decision == ConsentDecision.ASKED else customer,
        customer_id=customer.id,
    )


def require_customer(participant: Participant) -> None:
    if participant.role != ParticipantRole.CUSTOMER:
        raise ServiceError(_l("Only a customer answers this."), 403)


def _own_row(customer: Participant) -> RecordingConsent | None:
    activities.require_present(customer)
    require_customer(customer)
    return db.session.scalar(
        sa.select(RecordingConsent).where(RecordingConsent.participant_id == customer.id)
    )


def _rows(support_session_id: int) -> dict[int, RecordingConsent]:
    rows = db.session.scalars(
        sa.select(RecordingConsent).where(RecordingConsent.support_session_id == support_session_id)
    )
    return {row.participant_id: row for row in rows}


def _present_customers(support_session: SupportSession) -> list[Participant]:
    return [p for p in support_session.present_participants() if p.role == ParticipantRole.CUSTOMER]
