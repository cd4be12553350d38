"""ICE servers for a seat's page, with TURN credentials of its own (#13 item 7).

A TURN password in the page would let anyone who once opened it relay through
our server for ever. With TURN_URLS and TURN_SECRET set, each page gets the
REST credentials that coturn's `use-auth-secret` checks: the username is the
expiry time and the seat, the password an HMAC of it under the shared secret,
so they stop working after TURN_TTL_SECONDS without the app storing anything.
"""

import base64
import hashlib
import hmac
import time

from flask import current_app


def ice_servers(participant_id: int, now: float | None = None) -> list[dict]:
    config = current_app.config
    servers = list(config["ICE_SERVERS"])
    urls, secret = config.get("TURN_URLS"), config.get("TURN_SECRET")
    if urls and secret:
        expires = int((now if now is not None else time.time()) + config["TURN_TTL_SECONDS"])
        username = f"{expires}:seat-{participant_id}"
        servers.append(
            {"urls": urls, "username": username, "credential": turn_password(secret, username)}
        )
    return servers


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
