"""The audit trail's canonical form, its hashes and its signatures
(docs/security.md "The audit trail"): what both writing and verifying a
chain (audit.py) must compute alike.

The seal and the tombstones are signed with a key derived from SECRET_KEY,
never the key itself, so the audit key is not the one that signs cookies.
"""

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp.models import AuditTombstone

FORMAT = 1  # bump, and keep verifying the old one, if the canonical form changes
GENESIS = "0" * 64  # the "previous hash" of a session's first event

# The canonical form: one JSON object, sorted keys, no spaces, ASCII only,
# timestamps as naive UTC with microseconds (what both databases keep).


def canonical(fields: dict) -> bytes:
    return json.dumps(
        {"v": FORMAT, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode()


def stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment is not None else None


def event_hash(
    support_session_id: int,
    seq: int,
    prev_hash: str,
    kind: str,
    participant_id: int | None,
    created_at: datetime,
    data: dict,
) -> str:
    content = {
        "type": "event",
        "session": support_session_id,
        "seq": seq,
        "prev": prev_hash,
        "kind": kind,
        "participant": participant_id,
        "at": stamp(created_at),
        "data": data,
    }
    return hashlib.sha256(canonical(content)).hexdigest()


def head_fields(support_session_id: int, number: str, seq: int, head: str | None) -> dict:
    return {"type": "head", "session": support_session_id, "number": number, "seq": seq,
            "head": head or GENESIS}  # fmt: skip


def tombstone_fields(tombstone: AuditTombstone | sa.Row) -> dict:
    return {
        "type": "tombstone",
        "session": tombstone.support_session_id,
        "number": tombstone.session_number,
        "started": stamp(tombstone.started_at),
        "ended": stamp(tombstone.ended_at),
        "events": tombstone.event_count,
        "last_seq": tombstone.last_seq,
        "last_hash": tombstone.last_hash,
        "removed": stamp(tombstone.removed_at),
    }


def keys() -> list[bytes]:
    """The signing key first, then keys that may have signed older rows:
    one derived from each of SECRET_KEY and SECRET_KEY_FALLBACKS, so the
    audit key is never the key that signs cookies."""
    secrets = [
        current_app.config["SECRET_KEY"],
        *(current_app.config.get("SECRET_KEY_FALLBACKS") or []),
    ]
    return [
        hmac.new(
            secret.encode() if isinstance(secret, str) else secret,
            b"supportcenter audit trail",
            hashlib.sha256,
        ).digest()
        for secret in secrets
        if secret
    ]


def sign(key: bytes, fields: dict) -> str:
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


def signed(keys: Sequence[bytes], signature: str | None, fields: dict) -> bool:
    if not signature:
        return False
    return any(hmac.compare_digest(sign(key, fields), signature) for key in keys)


def seal(support_session_id: int, number: str, seq: int, head: str | None) -> str:
    return sign(keys()[0], head_fields(support_session_id, number, seq, head))
