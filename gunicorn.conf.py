"""gunicorn for `make serve`: gevent workers hold many idle websockets each."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
# Several workers need REDIS_URL: the bus and presence live there. Without it,
# run one worker (it holds thousands of sockets under gevent).
workers = int(os.environ.get("WORKERS", "2"))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
timeout = 60
graceful_timeout = 10
accesslog = "-"
