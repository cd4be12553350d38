"""Why something ended: one list for sessions, seats and activities, stored
as text in their `end_reason` / `left_reason` columns."""

from enum import StrEnum


class EndReason(StrEnum):
    # A session
    ENDED_BY_REP = "ended_by_rep"
    CONTROLLER_GONE = "controller_gone"  # the controller's page stayed closed (R1.5)
    ABANDONED = "abandoned"  # everyone left while the session waited in a queue
    # A seat
    LEFT = "left"
    GONE = "gone"  # the page stayed closed past the queue's grace
    TRANSFERRED = "transferred"  # the rep handed the session to WebACD (R6.4)
    SESSION_ENDED = "session_ended"
    # An activity
    STOPPED = "stopped"
    DISCONNECTED = "disconnected"
    CONTROL_TRANSFERRED = "control_transferred"
    COMPLETED = "completed"
    NOTHING_TO_RECORD = "nothing_to_record"
    CONSENT_WITHDRAWN = "consent_withdrawn"  # a customer took back consent (#16 item 4)
    CONSENT_MISSING = "consent_missing"  # a customer who was not asked joined
