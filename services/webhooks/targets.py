"""Where a webhook may go: public addresses only, unless an operator allows a network.

A tenant names the URL, so without this a webhook could reach the operator's
own services (metadata endpoints, admin ports on loopback, the private
network). The host is resolved and every address it has is checked: one that
is loopback, private, link-local, multicast, reserved or unspecified refuses
the target, unless FOREWARN_WEBHOOK_ALLOW holds it.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Network, IPv6Network, ip_address
from urllib.parse import urlsplit


def refusal(url: str, allowed: list[IPv4Network | IPv6Network]) -> str | None:
    """Why a webhook may not be sent to this URL, or None if it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if parts.username or parts.password:
        return "must not hold a user name or password"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        return f"host {parts.hostname!r} does not resolve ({exc})"
    for *_, address in found:
        ip = ip_address(address[0])
        mapped = getattr(ip, "ipv4_mapped", None) or ip
        if any(mapped in net for net in allowed):
            continue
        if not mapped.is_global or mapped.is_multicast:
            return (
                f"{parts.hostname} is {mapped}, a loopback, private, link-local or reserved address; "
                "an operator can allow its network with FOREWARN_WEBHOOK_ALLOW"
            )
    return None
