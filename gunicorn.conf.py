"""gunicorn for `make serve`: gevent workers hold many idle websockets each."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
# Several workers need REDIS_URL: the bus and presence live there. Without it
# the default is one worker (it holds thousands of sockets under gevent).
workers = int(os.environ.get("WORKERS") or (2 if os.environ.get("REDIS_URL") else 1))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
timeout = 60
# How long a connection may take to send its request, the first one included:
# gevent workers time that read with `keepalive`. At gunicorn's 2 s a worker
# busy with a connect storm reached 926 of 3,000 new sockets too late and
# closed them unanswered (#18). Behind nginx only nginx's connections wait here.
keepalive = int(os.environ.get("KEEPALIVE_SECONDS", "15"))
graceful_timeout = 10
accesslog = "-"

# Metrics (#14 item 2): every worker writes its counters to one folder that
# /metrics sums. Set before any worker imports prometheus_client.
if os.environ.get("METRICS_TOKEN") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="supportcenter-metrics-")


def post_worker_init(worker):
    """What the worker loaded at start (modules, the app) is never
    garbage, but each full collection walked all of it again: 80 to 220 ms
    with the worker's only thread stopped, a connect storm's first panels
    and chat lines waiting behind it (#18). Frozen, it is left out; what
    sockets allocate later is still collected."""
    import gc

    gc.freeze()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Access lines never hold an invitation token (a link's path is /…/i/<token>),
# and with LOG_FORMAT=json they are JSON objects like the app's own lines.
logger_class = "gunicorn_logging.AccessLogger"
