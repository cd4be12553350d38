"""Prometheus metrics (#14 item 2): what a worker counts as it works, and
what the database says at scrape time.

Under gunicorn each worker is a process of its own: gunicorn.conf.py points
PROMETHEUS_MULTIPROC_DIR at a shared folder before any worker starts, so the
counters below are summed over workers (sockets per worker stay labelled by
pid, too). Sessions, queues and offers are read from the database when
scraped, so they are the same whichever worker answers.
"""

import os

import sqlalchemy as sa
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from webapp.extensions import db
from webapp.models import Offer, OfferState, Queue, SessionState, SupportSession
from webapp.models.base import utcnow

WORKER_METRICS = CollectorRegistry()
OPEN_SOCKETS = Gauge(
    "supportcenter_open_sockets",
    "Live sockets (session pages and staff pages) open now.",
    registry=WORKER_METRICS,
    multiprocess_mode="livesum",
)
DELIVERIES = Counter(
    "supportcenter_deliveries",
    "Session events delivered to sockets.",
    registry=WORKER_METRICS,
)
DELIVERY_SECONDS = Histogram(
    "supportcenter_delivery_seconds",
    "From an event's publish to its delivery to a socket in a worker.",
    registry=WORKER_METRICS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MAIL = Counter(
    "supportcenter_mail",
    "Mail the site tried to send, by outcome.",
    ["outcome"],
    registry=WORKER_METRICS,
)


class DatabaseCollector:
    """Sessions by state, queue lengths and oldest waits, pending offers."""

    def collect(self):
        sessions = GaugeMetricFamily(
            "supportcenter_sessions", "Support sessions by state.", labels=["state"]
        )
        counts = dict(
            db.session.execute(
                sa.select(SupportSession.state, sa.func.count()).group_by(SupportSession.state)
            ).all()
        )
        for state in SessionState:
            sessions.add_metric([state.value], counts.get(state, 0))
        yield sessions

        waiting = GaugeMetricFamily(
            "supportcenter_queue_waiting", "Sessions waiting in a queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "supportcenter_queue_oldest_wait_seconds",
            "How long the longest-waiting session of a queue has waited.",
            labels=["queue"],
        )
        now = utcnow()
        waits = (sa.func.count(SupportSession.id), sa.func.min(SupportSession.queued_at))
        rows = db.session.execute(
            sa.select(Queue.name, *waits)
            .select_from(Queue)
            .outerjoin(
                SupportSession,
                sa.and_(
                    SupportSession.queue_id == Queue.id,
                    SupportSession.state == SessionState.QUEUED,
                ),
            )
            .group_by(Queue.name)
        ).all()  # fmt: skip
        for name, count, since in rows:
            waiting.add_metric([name], count)
            oldest.add_metric([name], (now - since).total_seconds() if since else 0)
        yield waiting
        yield oldest

        pending = db.session.scalar(
            sa.select(sa.func.count()).select_from(Offer).where(Offer.state == OfferState.PENDING)
        )
        yield GaugeMetricFamily(
            "supportcenter_offers_pending", "Offers no agent has answered yet.", value=pending
        )


def exposition() -> bytes:
    """The text a scrape gets: every worker's counters, then the database's view."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
    else:
        workers = WORKER_METRICS
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    try:
        return generate_latest(workers) + generate_latest(database)
    finally:
        db.session.remove()
