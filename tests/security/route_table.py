"""The route table of the security drills: every route of the app, and per
kind of user (tests/security/world.py) the answers it may get. The route
walk checks the table; the CSRF and fuzz drills send from a kind it lets
past the permission check."""

from urllib.parse import urlsplit

from tests.security.world import (
    ADMIN,
    AGENT,
    ANONYMOUS,
    ASSISTANT,
    CONTROLLER,
    CUSTOMER,
    KINDS,
    NOT_LOGGED_IN,
    OTHER_CUSTOMER,
    REP,
    STAFF,
    World,
)

LOGIN = "login"  # a redirect to the login page
REDIRECTS = (301, 302, 303, 307, 308)


def outcomes(*allowed) -> frozenset:
    return frozenset(allowed)


def everyone(*allowed, **by_kind) -> dict[str, frozenset]:
    row = {kind: outcomes(*allowed) for kind in KINDS}
    row.update({_kind(name): outcomes(*value) for name, value in by_kind.items()})
    return row


def staff_only(*allowed, refused=(403,), **by_kind) -> dict[str, frozenset]:
    """login_required: visitors and customers go to the login page; the
    staff kinds named get `by_kind`, every other staff kind `refused`, and
    with no one named every staff kind gets `allowed`."""
    row = {kind: outcomes(LOGIN) for kind in NOT_LOGGED_IN}
    row.update({kind: outcomes(*(allowed or refused)) for kind in STAFF})
    row.update({_kind(name): outcomes(*value) for name, value in by_kind.items()})
    return row


def participants_only(**by_kind) -> dict[str, frozenset]:
    """Routes staff and customers share (activities, files): anyone without
    a seat in the session gets 404, as if it did not exist."""
    row = {kind: outcomes(404) for kind in KINDS}
    row.update({_kind(name): outcomes(*value) for name, value in by_kind.items()})
    return row


def _kind(name: str) -> str:
    """Keyword names for the kinds; the others are spelled as themselves."""
    return {"rep": REP, "other_customer": OTHER_CUSTOMER}.get(name, name)


# What each route's id arguments stand for in the world; a route's own row
# in PATH_VALUES wins.
DEFAULT_VALUES = {
    "support_session_id": "session",
    "participant_id": "customer_seat",
    "activity_id": "share",
    "file_id": "file",
    "offer_id": "offer",
    "queue_id": "queue",
    "user_id": "agent",
    "invitation_id": "invitation",
    "reply_id": "reply",
}

PATH_VALUES = {
    "dashboard.record": {"support_session_id": "ended_session"},
    "feedback.panel": {"support_session_id": "ended_session"},
    "feedback.rate": {"support_session_id": "ended_session"},
    "feedback.receipt": {"support_session_id": "ended_session"},
    "files.download_recording": {"file_id": "recording"},
    "admin.save_rep": {"user_id": "rep"},
    "join.redeem": {"token": ("token", "customer")},
    "support.redeem": {"token": ("token", "other_rep")},
    "live_user.user_socket": {"view_name": ("literal", "inbox")},
    "reports.export": {"table": ("literal", "queues")},
}

EXPECTED = {
    # Anyone.
    ("GET", "main.index"): everyone(200),
    ("GET", "main.healthz"): everyone(200),
    ("GET", "ops.readyz"): everyone(200),
    # For the operator's scraper, with its bearer token; nobody's login opens it.
    ("GET", "ops.prometheus_metrics"): everyone(401),
    ("POST", "main.language"): everyone(302),
    ("GET", "auth.login"): everyone(200, **{kind: (302,) for kind in STAFF}),
    ("POST", "auth.login"): everyone(400, **{kind: (302,) for kind in STAFF}),
    ("GET", "join.index"): everyone(200),
    ("POST", "join.index"): everyone(400),
    ("GET", "join.redeem"): everyone(200, customer=(302,)),
    ("POST", "join.redeem"): everyone(400, customer=(302,)),
    ("GET", "join.left"): everyone(200),
    ("GET", "acd.request_help"): everyone(200),
    ("POST", "acd.request_help"): everyone(400),
    # A plain GET of a socket route is no websocket handshake.
    ("GET", "live.session_socket"): everyone(400),
    ("GET", "live_user.user_socket"): everyone(400),
    # A customer's own seat.
    ("GET", "join.customer_page"): everyone(403, customer=(200,)),
    ("POST", "join.leave"): everyone(403, customer=(302,)),
    # Any staff login.
    ("POST", "auth.logout"): staff_only(302),
    ("GET", "support.index"): staff_only(200),
    ("POST", "support.start"): staff_only(302),
    ("GET", "support.assist"): staff_only(200),
    ("POST", "support.assist"): staff_only(400),
    ("GET", "support.redeem"): staff_only(302),  # the rep link is the key
    ("GET", "multi.window"): staff_only(200),
    ("POST", "multi.new_session"): staff_only(302),
    ("POST", "multi.close_ended"): staff_only(204),
    # A staff seat in the session.
    ("GET", "dashboard.show"): staff_only(controller=(200,), assistant=(200,)),
    ("GET", "dashboard.record"): staff_only(refused=(404,), controller=(200,), assistant=(200,)),
    ("GET", "dashboard.invite_dialog"): staff_only(controller=(200,), assistant=(200,)),
    ("GET", "dashboard.open_invitations"): staff_only(controller=(200,), assistant=(200,)),
    ("POST", "dashboard.revoke_invitation"): staff_only(controller=(200,)),
    ("POST", "dashboard.invite"): staff_only(controller=(400,)),
    ("POST", "dashboard.help_customer"): staff_only(controller=(204,)),
    ("GET", "dashboard.transfer_dialog"): staff_only(controller=(200,)),
    # An empty form is refused before the assistant's lack of control is.
    ("POST", "dashboard.transfer_control"): staff_only(controller=(400,), assistant=(400, 403)),
    ("POST", "dashboard.end"): staff_only(controller=(302,)),
    ("POST", "dashboard.leave"): staff_only(controller=(409,), assistant=(302,)),
    # WebACD agents; the controller is one.
    ("GET", "acd.inbox"): staff_only(controller=(200,), agent=(200,)),
    ("POST", "acd.availability"): staff_only(controller=(302,), agent=(302,)),
    ("POST", "acd.accept"): staff_only(controller=(404,), agent=(302,)),
    ("GET", "acd.transfer_dialog"): staff_only(controller=(200,)),
    ("POST", "acd.transfer"): staff_only(controller=(400,)),
    # Sessionshistorik: the sessions one took part in; an admin sees all.
    ("GET", "history.index"): staff_only(200),
    ("GET", "history.show"): staff_only(
        refused=(404,), controller=(200,), assistant=(200,), admin=(200,)
    ),
    # Anteckningar: staff of the session (or an agent offered it) read; an
    # empty note is refused.
    ("GET", "history.notes_panel"): staff_only(
        refused=(404,), controller=(200,), assistant=(200,), admin=(200,)
    ),
    ("POST", "history.add_note"): staff_only(
        refused=(404,), controller=(400,), assistant=(400,), admin=(400,)
    ),
    ("GET", "history.export"): staff_only(200),
    # Rapporter: everyone's figures, for admins and supervisors only.
    ("GET", "reports.index"): staff_only(admin=(200,)),
    ("GET", "reports.export"): staff_only(admin=(200,)),
    # Snabbsvar: one's own and the shared ones; an empty form is refused.
    ("GET", "replies.index"): staff_only(200),
    ("GET", "replies.choices"): staff_only(200),
    ("POST", "replies.add"): staff_only(400),
    ("POST", "replies.remove"): staff_only(refused=(404,), controller=(302,)),
    # Admins.
    ("GET", "admin.settings"): staff_only(admin=(200,)),
    ("POST", "admin.save_site"): staff_only(admin=(400,)),
    ("POST", "admin.save_rep"): staff_only(admin=(200,)),
    ("GET", "admin_queues.index"): staff_only(admin=(200,)),
    ("POST", "admin_queues.create"): staff_only(admin=(400,)),
    ("POST", "admin_queues.rename"): staff_only(admin=(400,)),
    ("POST", "admin_queues.add_agent"): staff_only(admin=(400,)),
    ("POST", "admin_queues.remove_agent"): staff_only(admin=(302,)),
    ("POST", "admin_queues.capacity"): staff_only(admin=(400,)),
    ("POST", "admin_queues.hours"): staff_only(admin=(400,)),  # no time zone sent
    # Participants of the session, staff or customer.
    ("POST", "activities.start"): participants_only(
        controller=(400,), assistant=(400,), customer=(400,)
    ),
    # The controller's share: the assistant and the customer may not stop it.
    ("POST", "activities.end"): participants_only(
        controller=(200,), assistant=(403,), customer=(403,)
    ),
    ("POST", "files.upload"): participants_only(
        controller=(400,), assistant=(400,), customer=(400,)
    ),
    ("GET", "files.download"): participants_only(
        controller=(200,), assistant=(200,), customer=(200,)
    ),
    ("POST", "files.upload_recording"): participants_only(
        controller=(400,), assistant=(400,), customer=(400,)
    ),
    # Recordings are for the staff.
    ("GET", "files.download_recording"): participants_only(controller=(200,), assistant=(200,)),
    # The end page of a customer of the ended session (#16 item 4): only the
    # seat their browser keeps opens it.
    ("GET", "feedback.panel"): participants_only(customer=(200,)),
    ("POST", "feedback.rate"): participants_only(customer=(400,)),
    ("POST", "feedback.receipt"): participants_only(customer=(400,)),
    # Recording consent (#16 item 4): the controller asks, a customer answers.
    ("POST", "consent.ask"): participants_only(
        controller=(200,), assistant=(403,), customer=(403,)
    ),
    ("POST", "consent.answer"): participants_only(
        controller=(403,), assistant=(403,), customer=(400,)
    ),
}

# Requests that end something the rest of the walk needs, done last, in
# this order, by the kinds named (the others were refused in the main walk).
LAST = [
    ("GET", "support.redeem", STAFF),
    ("POST", "replies.remove", (CONTROLLER,)),
    ("POST", "acd.accept", (AGENT,)),
    ("POST", "acd.availability", (AGENT, CONTROLLER)),  # going away withdraws offers
    ("POST", "join.leave", (CUSTOMER,)),
    ("POST", "dashboard.leave", (ASSISTANT,)),
    ("POST", "dashboard.revoke_invitation", (CONTROLLER,)),  # the customer link walked above
    ("POST", "dashboard.end", (CONTROLLER,)),
    ("POST", "auth.logout", STAFF),
]


def routes(app) -> dict[tuple[str, str], object]:
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[(method, rule.endpoint)] = rule
    return found


def path_of(world: World, rule, ids: dict | None = None) -> str:
    """The rule's path in the world; `ids` overrides the world's ids."""
    values = {argument: value_for(world, rule, argument, ids) for argument in rule.arguments}
    # Werkzeug builds websocket rules as ws:// URLs; the path is what a client asks for.
    _, path = rule.build(values, append_unknown=False)
    return urlsplit(path).path if "://" in path else path


def value_for(world: World, rule, argument: str, ids: dict | None = None):
    meaning = PATH_VALUES.get(rule.endpoint, {}).get(argument) or DEFAULT_VALUES[argument]
    if isinstance(meaning, tuple):
        where, key = meaning
        return world.tokens[key] if where == "token" else key
    return {**world.ids, **(ids or {})}[meaning]


SENDERS = (ANONYMOUS, CUSTOMER, CONTROLLER, ASSISTANT, AGENT, ADMIN)

NOT_PERMITTED = {LOGIN, 403, 404, 409}


def sender_of(method: str, endpoint: str) -> str:
    row = EXPECTED[(method, endpoint)]
    return next(kind for kind in SENDERS if not row[kind] & NOT_PERMITTED)
