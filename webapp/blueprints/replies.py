"""Snabbsvar (#17 item 2): each rep and agent keeps their own canned replies
for the chat; admins keep the shared ones."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.services import replies
from webapp.services.errors import ServiceError

bp = Blueprint("replies", __name__, url_prefix="/support/replies")


@bp.before_request
@login_required
def staff_only():
    """Every account is staff; the login is what this asks for."""


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def add():
    form = request.form
    try:
        reply = replies.add(
            current_user,
            form.get("name", ""),
            form.get("text_sv", ""),
            form.get("text_en", ""),
            shared=form.get("shared") == "1",
        )
    except ServiceError as refused:
        if refused.field is None:
            raise
        return _page(refused.field, refused.message, refused.status)
    flash(_("The canned reply %(name)s was saved.", name=reply.name), "success")
    return redirect(url_for(".index"))


@bp.get("/choices")
def choices():
    """The chat box's list, fetched when the rep first types "/": the
    dashboard itself spends no query on it."""
    return jsonify([reply.as_choice() for reply in replies.available_to(current_user)])


@bp.post("/<int:reply_id>/delete")
def remove(reply_id: int):
    replies.remove(current_user, reply_id)
    flash(_("The canned reply was removed."), "success")
    return redirect(url_for(".index"))


def _page(field: str | None = None, error=None, status: int = 200):
    return render_template(
        "replies/index.html",
        replies=replies.available_to(current_user),
        error_field=field,
        error=error,
        name_max=replies.NAME_MAX,
    ), status
