"""Tables, one module per aggregate. Importing this package registers them all."""

from webapp.models.acd import Queue
from webapp.models.chat import ChatMessage
from webapp.models.mail import OutboxMessage
from webapp.models.support_session import (
    Invitation,
    InvitationRole,
    Participant,
    ParticipantRole,
    SessionEvent,
    SessionState,
    SupportSession,
)
from webapp.models.user import Role, User

__all__ = [
    "ChatMessage",
    "Invitation",
    "InvitationRole",
    "OutboxMessage",
    "Participant",
    "ParticipantRole",
    "Queue",
    "Role",
    "SessionEvent",
    "SessionState",
    "SupportSession",
    "User",
]
