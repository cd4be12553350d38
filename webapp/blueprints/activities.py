"""Starting and stopping media activities (R7). The page's media script calls
these with fetch once the browser granted the screen, camera or microphone;
the answer is JSON since a script, not htmx, reads it."""

from flask import Blueprint, jsonify, request

from webapp.blueprints.seats import viewer_of
from webapp.services import activities
from webapp.services.errors import ServiceError

bp = Blueprint("activities", __name__, url_prefix="/sessions/<int:support_session_id>/activities")


def _refused(error: ServiceError):
    return jsonify(error=str(error.message)), error.status


@bp.post("")
def start(support_session_id: int):
    viewer = viewer_of(support_session_id)
    if viewer is None:
        return _refused(ServiceError(activities.NOT_A_PARTICIPANT, 404))
    try:
        activity = activities.start_activity(viewer, request.form.get("kind", ""))
    except ServiceError as refused:
        return _refused(refused)
    return jsonify(id=activity.id, kind=activity.kind), 201


@bp.post("/<int:activity_id>/end")
def end(support_session_id: int, activity_id: int):
    viewer = viewer_of(support_session_id)
    if viewer is None:
        return _refused(ServiceError(activities.NOT_A_PARTICIPANT, 404))
    try:
        activities.end_activity(viewer, activity_id)
    except ServiceError as refused:
        return _refused(refused)
    return jsonify(ended=activity_id)
