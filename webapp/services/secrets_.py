"""Random numbers and tokens, all from `secrets` (DESIGN.md "Security")."""

import hashlib
import secrets


def new_session_number() -> str:
    # 100000000..999999999: nine digits with no leading zero to lose in a form.
    return str(100_000_000 + secrets.randbelow(900_000_000))


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
