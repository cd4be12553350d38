"""How the live layer opens Redis: a pool whose sockets wait for a free
connection instead of failing.

redis-py 8 caps a pool at 100 connections and raises at the 101st. In a
connect storm a worker's sockets asked for more at once (each registers its
presence), and every socket refused closed with 1011: 12 of 1,000 in one
bench run, 1 in another (#18). Waiting for a connection costs a refused
socket's reconnect nothing and its page no error.
"""

import redis

CONNECTIONS = 100  # per pool and worker; Redis's own limit is 10,000 clients
WAIT_SECONDS = 10.0  # then redis.ConnectionError, which a socket retries (live/connection.py)


def connect(url: str, **options) -> redis.Redis:
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=CONNECTIONS, timeout=WAIT_SECONDS, **options
    )
    return redis.Redis(connection_pool=pool)
