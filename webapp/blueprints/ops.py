"""For operators and their tools, not people: readiness and metrics (#14 item 2).
`/healthz` (liveness) stays in main.py: it touches nothing."""

import hmac
import logging

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request

from webapp import metrics
from webapp.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)


@bp.get("/readyz")
def readyz():
    """200 when this worker can reach what it needs; 503 naming what failed,
    so a load balancer stops sending it pages it cannot serve."""
    failed = []
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        log.exception("readiness: the database does not answer")
        failed.append("database")
    finally:
        db.session.remove()
    if current_app.config.get("REDIS_URL"):
        try:
            current_app.extensions["live"].ping_redis()
        except Exception:
            log.exception("readiness: Redis does not answer")
            failed.append("redis")
    body = "ready" if not failed else "not ready: " + ", ".join(failed)
    return body, 503 if failed else 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/metrics")
def prometheus_metrics():
    """Off unless METRICS_TOKEN is set; then only with it as a bearer token."""
    token = current_app.config.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not token:
        abort(404)
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return "", 401, {"WWW-Authenticate": "Bearer"}
    return Response(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
