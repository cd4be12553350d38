from datetime import UTC, datetime


def utcnow() -> datetime:
    # Naive UTC everywhere: SQLite drops tzinfo, so comparing aware and naive
    # values would raise on one engine and not the other.
    return datetime.now(UTC).replace(tzinfo=None)
