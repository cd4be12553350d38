"""Which client a request is, for counting: one IPv6 line holds a whole /64,
so a guesser rotating through it must count as one address (#13 item 5)."""

import ipaddress

from flask_limiter.util import get_remote_address


def client_key(address: str | None = None) -> str:
    raw = address if address is not None else get_remote_address()
    try:
        ip = ipaddress.ip_address(raw or "")
    except ValueError:
        return raw or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
