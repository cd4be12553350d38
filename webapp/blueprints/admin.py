"""Site settings for the admin (R1.2, R3.5): multi-session and customer caps,
site-wide and per rep, edited in place with htmx."""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from webapp.extensions import db
from webapp.models import Role, User
from webapp.services import customers
from webapp.services.errors import ServiceError

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _staff() -> list[User]:
    return list(
        db.session.scalars(
            db.select(User).where(User.role.in_([Role.REP, Role.AGENT])).order_by(User.name)
        )
    )


@bp.get("/settings")
@login_required
def settings():
    customers.require_admin(current_user)
    return render_template(
        "admin/settings.html", site=customers.site_settings(), reps=_staff(), errors={}
    )


@bp.post("/settings")
@login_required
def save_site():
    try:
        site = customers.update_site_settings(
            current_user,
            request.form.get("multi_session_allowed") == "y",
            request.form.get("customer_cap", ""),
            request.form.get("retention_days", ""),
        )
    except ServiceError as refused:
        if refused.status == 403:
            raise
        return render_template(
            "admin/_site_form.html",
            site=customers.site_settings(),
            errors={refused.field: refused.message},
        ), 400
    return render_template("admin/_site_form.html", site=site, errors={}, saved=True)


@bp.post("/reps/<int:user_id>")
@login_required
def save_rep(user_id: int):
    # Before the lookup: a 404 for some ids and a 403 for others would tell a
    # non-admin which users exist.
    customers.require_admin(current_user)
    rep = db.session.get(User, user_id)
    if rep is None or rep.role not in (Role.REP, Role.AGENT):
        raise ServiceError(customers.NO_SUCH_REP, 404)
    try:
        customers.update_rep_privileges(
            current_user,
            rep,
            request.form.get("multi_session", ""),
            request.form.get("customer_cap", ""),
        )
    except ServiceError as refused:
        if refused.status == 403:
            raise
        db.session.refresh(rep)
        return render_template(
            "admin/_rep_row.html", rep=rep, errors={refused.field: refused.message}
        ), 400
    return render_template("admin/_rep_row.html", rep=rep, errors={}, saved=True)
