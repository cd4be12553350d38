"""Köer for the admin: queues, their agents and each agent's capacity (#8 item 1)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp.display import viewer_zone
from webapp.services import acd, agent_loads, business_hours, queues
from webapp.services.errors import ServiceError
from webapp.web import parse_id

bp = Blueprint("admin_queues", __name__, url_prefix="/admin/queues")


@bp.before_request
@login_required
def admins_only():
    if not current_user.is_admin:
        raise ServiceError(_l("Only an admin may manage queues."), 403)


@bp.get("/")
def index():
    return _page()


def _page(errors: dict | None = None, status: int = 200):
    agents = agent_loads.agents()
    return render_template(
        "admin_queues/index.html",
        queues=acd.queues(),
        agents=agent_loads.loads(agents),
        errors=errors or {},
        capacity_max=queues.CAPACITY_MAX,
        hours=business_hours,
        time_zones=business_hours.time_zones(),
        # A new queue's hours start in the admin's own zone, as the browser told it.
        default_zone=str(viewer_zone() or "Europe/Stockholm"),
    ), status


def _form_error(refused: ServiceError, key: str):
    """A refused field shows next to its form; anything else is a page alert."""
    if refused.field is None:
        raise refused
    return _page({key: refused.message}, refused.status)


@bp.post("/")
def create():
    try:
        queue = queues.create_queue(request.form.get("name", ""))
    except ServiceError as refused:
        return _form_error(refused, "create")
    flash(_("The queue %(name)s was created.", name=queue.name), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:queue_id>/name")
def rename(queue_id: int):
    queue = queues.get_queue(queue_id)
    try:
        queues.rename_queue(queue, request.form.get("name", ""))
    except ServiceError as refused:
        return _form_error(refused, f"rename-{queue_id}")
    flash(_("The queue is now called %(name)s.", name=queue.name), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:queue_id>/agents")
def add_agent(queue_id: int):
    queue = queues.get_queue(queue_id)
    agent_id = parse_id(request.form.get("agent_id"))
    try:
        if agent_id is None:
            raise ServiceError(_l("Choose an agent."), 400, field="agent")
        queues.add_agent(queue, queues.get_agent(agent_id))
    except ServiceError as refused:
        return _form_error(refused, f"queue-{queue_id}")
    return redirect(url_for(".index"))


@bp.post("/<int:queue_id>/agents/<int:user_id>/remove")
def remove_agent(queue_id: int, user_id: int):
    queues.remove_agent(queues.get_queue(queue_id), queues.get_agent(user_id))
    return redirect(url_for(".index"))


@bp.post("/agents/<int:user_id>/capacity")
def capacity(user_id: int):
    agent = queues.get_agent(user_id)
    value = request.form.get("capacity", "")
    try:
        if not value.strip().isdecimal():
            raise ServiceError(
                _l("Capacity must be a number from 1 to %(max)d.", max=queues.CAPACITY_MAX),
                400,
                field="capacity",
            )
        queues.set_capacity(agent, int(value))
    except ServiceError as refused:
        return _form_error(refused, f"agent-{user_id}")
    flash(
        _("%(name)s takes %(count)d sessions at once.", name=agent.name, count=agent.acd_capacity),
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:queue_id>/hours")
def hours(queue_id: int):
    """#17 item 4: the queue's opening hours; "clear" makes it always open."""
    queue = queues.get_queue(queue_id)
    if request.form.get("clear"):
        business_hours.clear_hours(queue)
        flash(_("%(name)s is now always open.", name=queue.name), "success")
        return redirect(url_for(".index"))
    days = {
        weekday: business_hours.DayHours(
            request.form.get(f"opens-{weekday}", ""), request.form.get(f"closes-{weekday}", "")
        )
        for weekday in range(7)
    }
    try:
        business_hours.set_hours(queue, request.form.get("time_zone", ""), days)
    except ServiceError as refused:
        return _form_error(refused, f"hours-{queue_id}")
    flash(_("The opening hours of %(name)s were saved.", name=queue.name), "success")
    return redirect(url_for(".index"))
