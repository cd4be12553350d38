"""gunicorn for `make serve`: gevent workers hold many idle websockets each."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
# Several workers need REDIS_URL: the bus and presence live there. Without it
# the default is one worker (it holds thousands of sockets under gevent).
workers = int(os.environ.get("WORKERS") or (2 if os.environ.get("REDIS_URL") else 1))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
timeout = 60
graceful_timeout = 10
accesslog = "-"
