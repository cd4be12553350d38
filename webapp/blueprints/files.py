"""Filöverföring and recordings (R7): upload and download for the session's
participants. Sending a file is an htmx form answered with the files panel;
a recording comes from the media script by fetch, so it is answered in JSON."""

import math

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal, get_locale
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.blueprints.seats import keeper_of, viewer_of
from webapp.extensions import db, limiter
from webapp.live.push import files_panel_context
from webapp.models import FilePurpose, Participant
from webapp.services import files, recordings
from webapp.services.errors import ServiceError
from webapp.web import alert, is_htmx, parse_count, parse_id

bp = Blueprint("files", __name__, url_prefix="/sessions/<int:support_session_id>")

# Room for the multipart headers and the other fields around the file itself.
ENVELOPE_BYTES = 64 * 1024
_UPLOAD_LIMITS = {
    "files.upload": "FILE_MAX_BYTES",
    "files.upload_recording": "RECORDING_CHUNK_MAX_BYTES",
}


@bp.url_value_preprocessor
def limit_request_body(endpoint: str | None, values: dict | None) -> None:
    """A per-route body limit. It is set here, not in the view, because this
    runs before CSRFProtect's before_request, which already parses the body
    while it looks for the token."""
    limit_key = _UPLOAD_LIMITS.get(endpoint or "")
    if limit_key is not None:
        request.max_content_length = current_app.config[limit_key] + ENVELOPE_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def body_too_large(error: RequestEntityTooLarge):
    """Werkzeug's bare 413 page would tell neither the limit nor in the
    user's language."""
    if request.endpoint == "files.upload_recording":
        return _json_refusal(ServiceError(recordings.CHUNK_TOO_LARGE, 413))
    viewer = viewer_of(request.view_args["support_session_id"])
    return _refused_upload(viewer, files.too_large(FilePurpose.FILE))


def _refused_upload(viewer: Participant | None, refused: ServiceError):
    """The error shows in the Files card, where the user is, not at the top."""
    db.session.rollback()
    if viewer is None or not is_htmx() or refused.status == 403:
        return alert(str(refused.message), refused.status)
    context = files_panel_context(viewer)
    return render_template("session/_files.html", file_error=refused.message, **context), (
        refused.status
    )


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    if size < 1024 * 1024:
        return f"{format_decimal(math.ceil(size / 1024))}\u00a0kB"
    return f"{format_decimal(size / (1024 * 1024), format='#,##0.0')}\u00a0MB"


@bp.post("/files")
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"])
def upload(support_session_id: int):
    viewer = _viewer_or_404(support_session_id)
    try:
        upload = request.files.get("file")
        if upload is None:
            raise ServiceError(files.NO_FILE, 400, field="file")
        files.share_file(viewer, upload, _recipient_id(request.form.get("recipient", "")))
    except ServiceError as refused:
        return _refused_upload(viewer, refused)
    if not is_htmx():
        return redirect(_page_of(viewer))
    return render_template("session/_files.html", **files_panel_context(viewer))


@bp.get("/files/<int:file_id>")
def download(support_session_id: int, file_id: int):
    return _send(support_session_id, file_id, FilePurpose.FILE)


@bp.post("/recordings")
def upload_recording(support_session_id: int):
    """One chunk of a running recording, or with `final` the recorder's stop
    (#14 item 4). Answered in JSON: the recorder script reads it."""
    viewer = keeper_of(support_session_id)
    activity_id = parse_id(request.form.get("activity_id"))
    try:
        if viewer is None:
            raise ServiceError(files.NOT_A_PARTICIPANT, 404)
        chunk = _chunk()
        if activity_id is None:
            raise ServiceError(recordings.NO_SUCH_RECORDING, 404)
        stored = recordings.receive(viewer, activity_id, chunk, str(get_locale()))
    except recordings.OutOfOrderError as refused:
        db.session.rollback()
        return jsonify(error=str(refused.message), expected=refused.expected), refused.status
    except ServiceError as refused:
        return _json_refusal(refused)
    if stored is None:
        return jsonify(id=None, size=0)
    return jsonify(id=stored.id, size=stored.size)


def _chunk() -> recordings.Chunk | None:
    if request.form.get("final") == "1":
        return None
    upload = request.files.get("chunk")
    offset = parse_count(request.form.get("offset"))
    elapsed_ms = parse_count(request.form.get("elapsed_ms"))
    if upload is None or offset is None or elapsed_ms is None:
        raise ServiceError(files.NO_FILE, 400, field="chunk")
    return recordings.Chunk(offset=offset, data=upload.read(), elapsed_ms=elapsed_ms)


@bp.get("/recordings/<int:file_id>")
def download_recording(support_session_id: int, file_id: int):
    return _send(support_session_id, file_id, FilePurpose.RECORDING)


def _send(support_session_id: int, file_id: int, purpose: FilePurpose):
    viewer = keeper_of(support_session_id)
    if viewer is None:
        raise ServiceError(files.NO_SUCH_FILE, 404)
    path, stored = files.open_for_download(viewer, file_id, purpose)
    # Always an attachment of no particular type: an uploaded page or script
    # must never render in, and run with, this site's origin.
    response = send_file(
        path,
        as_attachment=True,
        download_name=stored.original_name,
        mimetype="application/octet-stream",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _viewer_or_404(support_session_id: int) -> Participant:
    viewer = viewer_of(support_session_id)
    if viewer is None:
        raise ServiceError(files.NOT_A_PARTICIPANT, 404)
    return viewer


def _recipient_id(raw: str) -> int | None:
    if not raw:
        return None
    recipient_id = parse_id(raw)
    if recipient_id is None:
        raise ServiceError(files.NO_SUCH_RECIPIENT, 400, field="recipient")
    return recipient_id


def _page_of(viewer: Participant) -> str:
    if viewer.is_staff:
        return url_for("dashboard.show", support_session_id=viewer.support_session_id)
    return url_for("join.customer_page", support_session_id=viewer.support_session_id)


def _json_refusal(refused: ServiceError):
    return jsonify(error=str(refused.message)), refused.status
