"""Where a webhook may go: public addresses only, unless an operator allows a network.

A tenant names the URL, so without this a webhook could reach the operator's
own services (metadata endpoints, admin ports on loopback, the private
network). The host is resolved and every address it has is checked, and so is
every IPv4 address an IPv6 address carries (IPv4-mapped, NAT64, 6to4, Teredo):
one in an IANA special-purpose range refuses the target, unless
FOREWARN_WEBHOOK_ALLOW holds it.

The ranges are listed here rather than taken from `ipaddress`'s `is_global`,
which in the Python releases forewarn runs on calls 192.0.0.8, 64:ff9b::7f00:1
and ::127.0.0.1 global.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

# The IANA IPv4 and IPv6 special-purpose address registries, each range as a whole
# (globally reachable or not: none is an ordinary webhook receiver), with multicast
# and the ranges reserved for the future.
SPECIAL = tuple(
    ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
        "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
        # IPv4-compatible (deprecated) with the unspecified and loopback addresses; the local-use
        # NAT64 prefix, whose IPv4 part sits where its operator chose; Teredo and the rest of the
        # IETF's protocol assignments; documentation; SRv6; unique and link-local; multicast.
        "::/96", "100::/64", "64:ff9b:1::/48", "2001::/23", "2001:db8::/32", "2620:4f:8000::/48",
        "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
# IPv6 ranges that carry an IPv4 address in their last 32 bits: judged by that address.
NAT64 = ip_network("64:ff9b::/96")


def refusal(url: str, allowed: list[IPv4Network | IPv6Network]) -> str | None:
    """Why a webhook may not be sent to this URL, or None if it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if parts.username or parts.password:
        return "must not hold a user name or password"
    try:
        port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "its port must be a number from 1 to 65535"
    if port == 0:
        return "port 0 is no port a server listens on"
    try:
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        return f"host {parts.hostname!r} does not resolve ({exc})"
    for *_, address in found:
        if why := _special(ip_address(address[0]), allowed):
            # "127.0.0.1 is a loopback address", "hooks.example resolves to 10.0.0.5, a private address"
            said = f"is {why}" if parts.hostname == address[0] else f"resolves to {address[0]}, {why}"
            return f"{parts.hostname} {said}; an operator can allow its network with FOREWARN_WEBHOOK_ALLOW"
    return None


def carried(ip: IPv4Address | IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: mapped, NAT64, 6to4, Teredo's server and client."""
    if isinstance(ip, IPv4Address):
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found += list(ip.teredo)
    if ip in NAT64:
        found.append(IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _special(ip: IPv4Address | IPv6Address, allowed: list[IPv4Network | IPv6Network]) -> str | None:
    """How this address, or one it carries, is special and not allowed by the operator; None if neither."""
    if ip.version == 6 and ip.scope_id:
        ip = ip_address(str(ip).partition("%")[0])
    for a in (ip, *carried(ip)):
        if any(a in net for net in allowed if a.version == net.version):
            continue
        for net in SPECIAL:
            if a.version == net.version and a in net:
                kind = f"{_kind(a)} (special-purpose range {net})"
                return kind if a is ip else f"an address that carries {a}, {kind}"
    return None


def _kind(ip: IPv4Address | IPv6Address) -> str:
    """What a special-purpose address is for, in a word an operator knows."""
    for test, kind in (
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
    ):
        if test:
            return kind
    return "a reserved address"
