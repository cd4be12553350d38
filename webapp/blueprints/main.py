"""The front page and the language switch (R8)."""

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from webapp.services.users import set_locale
from webapp.web import safe_next_path

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz():
    """For load balancers and the benchmark's hello-world baseline: no DB, no template."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/language")
def language():
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            set_locale(current_user, locale)
    return redirect(safe_next_path(request.form.get("next")) or url_for("main.index"))
