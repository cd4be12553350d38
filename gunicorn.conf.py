"""gunicorn for `make serve`: gevent workers hold many idle websockets each."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
# Presence lives in the worker until it moves to Redis (#4), so one worker is
# the safe default; one gevent worker holds thousands of sockets.
workers = int(os.environ.get("WORKERS", "1"))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
timeout = 60
graceful_timeout = 10
accesslog = "-"
