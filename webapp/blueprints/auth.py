"""Staff log in and out (flask-login, hashed passwords)."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from webapp.services.errors import ServiceError
from webapp.services.users import authenticate, end_login, set_locale
from webapp.web import safe_next_path

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("support.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, get_remote_address())
        except ServiceError as refused:
            error, status = refused.message, refused.status
        else:
            chosen_locale = session.get("locale")
            # A fresh session: nothing a visitor planted before logging in
            # (a fixed session, a customer's seat) carries over to staff.
            session.clear()
            if chosen_locale:
                session["locale"] = chosen_locale
            login_user(user)
            if chosen_locale and chosen_locale != user.locale:
                # The language just chosen on this browser wins over an older one.
                set_locale(user, chosen_locale)
            return redirect(safe_next_path(request.args.get("next")) or url_for("support.index"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    end_login(current_user)
    logout_user()
    session.clear()
    return redirect(url_for("main.index"))
