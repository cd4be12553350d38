"""Configuration read from the environment (names fixed by issue #3)."""

import json
import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{INSTANCE_DIR / 'supportcenter.sqlite'}"
    )
    # Under gevent one worker serves hundreds of sockets that each borrow a
    # connection for a moment; the pool is per worker.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {
        "pool_pre_ping": True,
        **(
            {"pool_size": _env_int("DB_POOL_SIZE", 10), "max_overflow": 20}
            if (os.environ.get("DATABASE_URL") or "").startswith("postgresql")
            else {}
        ),
    }
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Namespace of our Redis keys and channels; unset, an id kept in the
    # database (webapp/live/namespace.py). Must differ between deployments.
    REDIS_PREFIX = os.environ.get("REDIS_PREFIX") or None

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or (
        "Supportcenter <support@localhost>"
    )

    # Origin used in invitation links; when empty the request's own origin is used.
    BASE_URL = (os.environ.get("BASE_URL") or "").rstrip("/")
    PRESENCE_GRACE_SECONDS = float(os.environ.get("PRESENCE_GRACE_SECONDS") or 15)
    JOIN_RATE_LIMIT = os.environ.get("JOIN_RATE_LIMIT") or "10 per minute"
    INVITATION_TTL_HOURS = _env_int("INVITATION_TTL_HOURS", 24)
    # How many reverse proxies (nginx, a load balancer) stand in front and set
    # X-Forwarded-*. Without it, rate limits would count every customer as the
    # proxy's one address.
    TRUSTED_PROXY_HOPS = _env_int("TRUSTED_PROXY_HOPS", 0)

    # Files and recordings (R7) live here under generated names, never under
    # static; several machines need this on shared storage (docs/deploy.md).
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads")
    FILE_MAX_BYTES = _env_int("FILE_MAX_MB", 25) * 1024 * 1024
    RECORDING_MAX_BYTES = _env_int("RECORDING_MAX_MB", 500) * 1024 * 1024
    # Sent files per address: a customer needs no account, so this is what
    # stands between one browser and a full disk.
    UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT") or "20 per minute"
    # STUN and TURN servers for WebRTC, as RTCIceServer objects in JSON; none
    # are needed when every browser reaches every other directly.
    ICE_SERVERS = json.loads(os.environ.get("ICE_SERVERS") or "[]")

    BABEL_DEFAULT_LOCALE = "sv"
    LANGUAGES = ("sv", "en")
    WTF_CSRF_TIME_LIMIT = None  # a dashboard stays open for hours (R1.5)
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SOCK_SERVER_OPTIONS = {"ping_interval": 20}
    WEBSOCKET_COMPRESSION = os.environ.get("WEBSOCKET_COMPRESSION", "").lower() in ("1", "true")

    # The live socket's limits (#13 item 2, docs/security.md "The live socket").
    # A bigger frame is refused with 1009 before it is buffered; an SDP with
    # many tracks stays well under 64 KiB.
    LIVE_MAX_MESSAGE_BYTES = _env_int("LIVE_MAX_MESSAGE_KB", 64) * 1024
    # Messages a page may send, per socket: a token bucket. Joining a session
    # of ten pages costs about a hundred signals at once.
    LIVE_MESSAGE_RATE = float(os.environ.get("LIVE_MESSAGE_RATE") or 10)
    LIVE_MESSAGE_BURST = _env_int("LIVE_MESSAGE_BURST", 100)
    # Events waiting for one socket's writer; a page further behind is closed
    # and reconnects, and a send blocked this long closes its socket.
    LIVE_QUEUE_MESSAGES = _env_int("LIVE_QUEUE_MESSAGES", 128)
    LIVE_SEND_TIMEOUT_SECONDS = float(os.environ.get("LIVE_SEND_TIMEOUT_SECONDS") or 5)
    # Sockets one seat, or one staff member's own page, holds per process:
    # tabs, and sockets of dropped connections not yet noticed.
    LIVE_SOCKETS_PER_SEAT = _env_int("LIVE_SOCKETS_PER_SEAT", 8)


class ConfigError(ValueError):
    """A setting the app will not start with; the message says what to set."""


# Characters that Redis glob patterns (PSUBSCRIBE, SCAN MATCH) treat specially:
# a prefix holding one would make our pattern match other deployments' channels.
REDIS_PATTERN_CHARACTERS = frozenset("*?[]\\")


def check(config) -> None:
    prefix = config.get("REDIS_PREFIX") or ""
    if REDIS_PATTERN_CHARACTERS & set(prefix) or any(c.isspace() for c in prefix):
        raise ConfigError(
            f"REDIS_PREFIX {prefix!r} is not usable: use letters, digits, ':', '-' or '_', "
            "without * ? [ ] \\ or spaces."
        )


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = None
    MAIL_SERVER = None
    BASE_URL = ""
    WTF_CSRF_ENABLED = False
    JOIN_RATE_LIMIT = "1000 per minute"
    UPLOAD_RATE_LIMIT = "1000 per minute"
    PRESENCE_GRACE_SECONDS = 2.0
