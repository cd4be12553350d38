"""Tables, one module per aggregate. Importing this package registers them all."""

from webapp.models.acd import Offer, OfferState, Queue, QueueHours
from webapp.models.activity import (
    MEDIA_KINDS,
    SHARING_KINDS,
    Activity,
    ActivityKind,
    FilePurpose,
    SessionFile,
)
from webapp.models.audit import AuditTombstone
from webapp.models.chat import ChatMessage
from webapp.models.consent import ConsentDecision, RecordingConsent
from webapp.models.mail import MailState, OutboxMessage
from webapp.models.note import StaffNote
from webapp.models.rating import SessionRating
from webapp.models.reasons import EndReason
from webapp.models.reply import CannedReply
from webapp.models.site import Deployment, SiteSettings
from webapp.models.support_session import (
    Invitation,
    InvitationRole,
    Participant,
    ParticipantRole,
    SessionEvent,
    SessionState,
    SupportSession,
)
from webapp.models.user import LoginFailure, Role, StaffLogin, User

__all__ = [
    "MEDIA_KINDS",
    "SHARING_KINDS",
    "Activity",
    "ActivityKind",
    "AuditTombstone",
    "CannedReply",
    "ChatMessage",
    "ConsentDecision",
    "Deployment",
    "EndReason",
    "FilePurpose",
    "Invitation",
    "InvitationRole",
    "LoginFailure",
    "MailState",
    "Offer",
    "OfferState",
    "OutboxMessage",
    "Participant",
    "ParticipantRole",
    "Queue",
    "QueueHours",
    "RecordingConsent",
    "Role",
    "SessionEvent",
    "SessionFile",
    "SessionRating",
    "SessionState",
    "SiteSettings",
    "StaffLogin",
    "StaffNote",
    "SupportSession",
    "User",
]
