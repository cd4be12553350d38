"""Configuration read from the environment (names fixed by issue #3)."""

import json
import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return value in ("1", "true", "yes") if value else default


def secret_key() -> str | None:
    """SECRET_KEY, else the key `make run` keeps in instance/ (SECRET_KEY_FILE)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = Path(os.environ.get("SECRET_KEY_FILE") or INSTANCE_DIR / "secret_key")
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def cookies_secure(base_url: str, production: bool) -> bool:
    """Secure cookies whenever BASE_URL is https, and in production unless it
    says plain http (`make run` on loopback); SESSION_COOKIE_SECURE decides."""
    default = base_url.startswith("https://") or (production and not base_url.startswith("http://"))
    return _env_flag("SESSION_COOKIE_SECURE", default)


# Values that shipped as examples: anyone can sign a cookie with them.
KNOWN_SECRET_KEYS = frozenset({"dev-only-change-me", "change-me", "secret"})
SECRET_KEY_MIN_BYTES = 32
_BASE_URL = (os.environ.get("BASE_URL") or "").rstrip("/")


def secret_key_fallbacks() -> list[str]:
    """Keys retired by a rotation, newest first, separated by commas or
    spaces: cookies, CSRF tokens and audit seals made under them still
    verify, and nothing new is signed with them."""
    raw = os.environ.get("SECRET_KEY_FALLBACKS", "")
    return [key for key in raw.replace(",", " ").split() if key]


class Config:
    SECRET_KEY = secret_key()
    SECRET_KEY_FALLBACKS = secret_key_fallbacks()
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{INSTANCE_DIR / 'supportcenter.sqlite'}"
    )
    # Under gevent one worker serves hundreds of sockets that each borrow a
    # connection for a moment; the pool is per worker. On PostgreSQL a
    # cheaper check replaces pool_pre_ping (pool_liveness.py).
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
    MAIL_USE_TLS = _env_flag("MAIL_USE_TLS", False)  # STARTTLS, usually port 587
    MAIL_USE_SSL = _env_flag("MAIL_USE_SSL", False)  # TLS from the start, port 465
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    # The server's certificate is always verified (services/mailer.py); this
    # PEM file of CA certificates replaces the system's, for a private CA.
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE") or None
    # A mail SMTP refused is tried again after 10 s, 20 s, 40 s … (at most an
    # hour apart), MAIL_MAX_ATTEMPTS times in all; the sender looks every
    # MAIL_POLL_SECONDS for tries that came due.
    MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS") or 10)
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_POLL_SECONDS = 5.0
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or (
        "Supportcenter <support@localhost>"
    )

    # Origin used in invitation links; when empty the request's own origin is used.
    BASE_URL = _BASE_URL
    PRESENCE_GRACE_SECONDS = float(os.environ.get("PRESENCE_GRACE_SECONDS") or 15)
    # How long a served dashboard has to open its socket before its seat
    # counts as gone: a page load (a slow phone, a busy machine) can take
    # longer than a reload's reconnect. Never shorter than the grace.
    PRESENCE_ARRIVAL_SECONDS = float(os.environ.get("PRESENCE_ARRIVAL_SECONDS") or 15)
    JOIN_RATE_LIMIT = os.environ.get("JOIN_RATE_LIMIT") or "10 per minute"
    # Tries on one session number, from all addresses together.
    JOIN_NUMBER_RATE_LIMIT = os.environ.get("JOIN_NUMBER_RATE_LIMIT") or "20 per minute"
    INVITATION_TTL_HOURS = _env_int("INVITATION_TTL_HOURS", 24)
    # How many reverse proxies (nginx, a load balancer) stand in front and set
    # X-Forwarded-*. Without it, rate limits would count every customer as the
    # proxy's one address.
    TRUSTED_PROXY_HOPS = _env_int("TRUSTED_PROXY_HOPS", 0)
    # Whether those proxies also set X-Forwarded-Host (the nginx example sets
    # Host itself and needs no such header).
    TRUSTED_PROXY_HOST = _env_flag("TRUSTED_PROXY_HOST", False)
    # Any request body; uploads and recordings have their own larger limits
    # (files.py). An anonymous POST of hundreds of MiB is refused unread.
    MAX_CONTENT_LENGTH = _env_int("REQUEST_MAX_KB", 1024) * 1024

    # Files and recordings (R7) live here under generated names, never under
    # static; several machines need this on shared storage (docs/deploy.md).
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads")
    FILE_MAX_BYTES = _env_int("FILE_MAX_MB", 25) * 1024 * 1024
    RECORDING_MAX_BYTES = _env_int("RECORDING_MAX_MB", 500) * 1024 * 1024
    # One request of a recording as it runs: a few seconds of it, with room
    # for a backlog after a network blip (the nginx example allows the same).
    RECORDING_CHUNK_MAX_BYTES = 8 * 1024 * 1024
    # What all of one session's files and recordings, and all of the site's,
    # may take on disk (#13 item 7).
    SESSION_UPLOAD_QUOTA_BYTES = _env_int("SESSION_UPLOAD_QUOTA_MB", 2048) * 1024 * 1024
    UPLOAD_QUOTA_BYTES = _env_int("UPLOAD_QUOTA_GB", 50) * 1024 * 1024 * 1024
    # Sent files per address: a customer needs no account, so this is what
    # stands between one browser and a full disk.
    UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT") or "20 per minute"
    # STUN and TURN servers for WebRTC, as RTCIceServer objects in JSON; none
    # are needed when every browser reaches every other directly.
    ICE_SERVERS = json.loads(os.environ.get("ICE_SERVERS") or "[]")
    # A TURN server with coturn's use-auth-secret: each page gets credentials
    # of its own, valid TURN_TTL_SECONDS (webapp/services/turn.py).
    TURN_URLS = [
        url.strip() for url in (os.environ.get("TURN_URLS") or "").split(",") if url.strip()
    ]
    TURN_SECRET = os.environ.get("TURN_SECRET") or None
    TURN_TTL_SECONDS = _env_int("TURN_TTL_SECONDS", 12 * 3600)
    # "relay" makes every page use the TURN server, never a direct path: to
    # prove a TURN set-up works (and in its test). "all" is for real use.
    ICE_TRANSPORT_POLICY = "relay" if os.environ.get("ICE_TRANSPORT_POLICY") == "relay" else "all"

    # /metrics answers only with this bearer token, and not at all without it.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    LOG_FORMAT = os.environ.get("LOG_FORMAT") or "text"

    BABEL_DEFAULT_LOCALE = "sv"
    LANGUAGES = ("sv", "en")
    WTF_CSRF_TIME_LIMIT = None  # a dashboard stays open for hours (R1.5)
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = cookies_secure(_BASE_URL, production=False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SOCK_SERVER_OPTIONS = {"ping_interval": 20}
    WEBSOCKET_COMPRESSION = os.environ.get("WEBSOCKET_COMPRESSION", "").lower() in ("1", "true")

    # WebACD queues against anonymous visitors (#13 item 3, docs/security.md).
    # A waiting customer with no page open keeps its place this long, longer
    # than PRESENCE_GRACE_SECONDS so a phone that backgrounds the tab stays in
    # line; then it leaves and a session nobody waits in ends as abandoned.
    QUEUE_GRACE_SECONDS = float(os.environ.get("QUEUE_GRACE_SECONDS") or 120)
    # An offer no agent accepts in this time moves on to the next agent, or
    # back to the agent who transferred the session (#17 item 5).
    OFFER_TIMEOUT_SECONDS = float(os.environ.get("OFFER_TIMEOUT_SECONDS") or 60)
    # Help requests per address, and sessions a queue takes from the request
    # form per window whoever asks (Flask-Limiter notation).
    REQUEST_RATE_LIMIT = os.environ.get("REQUEST_RATE_LIMIT") or "5 per 10 minutes"
    QUEUE_REQUEST_RATE_LIMIT = os.environ.get("QUEUE_REQUEST_RATE_LIMIT") or "20 per minute"
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
    """Refuses settings that would make the app unsafe or wrong, in one line."""
    if not (config.get("TESTING") or config.get("DEBUG")):
        _check_secret_key(config.get("SECRET_KEY"))
        for retired in config.get("SECRET_KEY_FALLBACKS") or []:
            # A weak retired key still signs a cookie that opens staff pages.
            _check_secret_key(retired, "SECRET_KEY_FALLBACKS holds a key that")
    if any("credential" in server for server in config.get("ICE_SERVERS") or []):
        raise ConfigError(
            "ICE_SERVERS carries a TURN password, which every page would show: "
            "set TURN_URLS and TURN_SECRET for short-lived credentials per page instead."
        )
    if bool(config.get("TURN_URLS")) != bool(config.get("TURN_SECRET")):
        raise ConfigError("TURN_URLS and TURN_SECRET go together: set both, or neither.")
    prefix = config.get("REDIS_PREFIX") or ""
    if REDIS_PATTERN_CHARACTERS & set(prefix) or any(c.isspace() for c in prefix):
        raise ConfigError(
            f"REDIS_PREFIX {prefix!r} is not usable: use letters, digits, ':', '-' or '_', "
            "without * ? [ ] \\ or spaces."
        )


def _check_secret_key(key: str | None, which: str = "SECRET_KEY") -> None:
    # A cookie signed with a known or guessable key opens every staff page.
    how = (
        "set SECRET_KEY to 32 or more random bytes, the same on every machine, e.g. "
        "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )
    if not key:
        raise ConfigError(f"SECRET_KEY is not set: {how}")
    if key in KNOWN_SECRET_KEYS:
        raise ConfigError(f"{which} is a published example value: {how}")
    if len(key.encode()) < SECRET_KEY_MIN_BYTES:
        raise ConfigError(f"{which} is shorter than {SECRET_KEY_MIN_BYTES} bytes: {how}")


class ProductionConfig(Config):
    """What wsgi.py serves."""

    SESSION_COOKIE_SECURE = _env_flag("SESSION_COOKIE_SECURE", not _BASE_URL.startswith("http://"))
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SECRET_KEY_FALLBACKS: list[str] = []
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = None
    MAIL_SERVER = None
    BASE_URL = ""
    WTF_CSRF_ENABLED = False
    JOIN_RATE_LIMIT = "1000 per minute"
    JOIN_NUMBER_RATE_LIMIT = "1000 per minute"
    UPLOAD_RATE_LIMIT = "1000 per minute"
    PRESENCE_GRACE_SECONDS = 2.0
    QUEUE_GRACE_SECONDS = 4.0
    # Offers wait for their tests, however slow the machine; the timeout's
    # own tests set a short one (#17 item 5).
    OFFER_TIMEOUT_SECONDS = 3600.0
    REQUEST_RATE_LIMIT = "1000 per minute"
    QUEUE_REQUEST_RATE_LIMIT = "1000 per minute"
