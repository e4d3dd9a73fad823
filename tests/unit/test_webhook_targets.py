"""Webhook targets: every address an IPv6 address carries is judged, special-purpose ranges refused whole."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from forewarn.services.webhooks.targets import refusal

REFUSED = [
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 of loopback
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of the metadata address
    "http://[64:ff9b:1::a9fe:a9fe]/hook",  # the local-use NAT64 prefix
    "http://[2002:7f00:1::1]/hook",  # 6to4 of loopback
    "http://[2002:a9fe:a9fe::1]/hook",  # 6to4 of the metadata address
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
    "http://[::127.0.0.1]/hook",  # IPv4-compatible
    "http://[::ffff:169.254.169.254]/hook",  # IPv4-mapped
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://192.0.0.8/hook",  # IETF protocol assignments
    "http://192.0.0.9/hook",  # globally reachable, but special-purpose all the same
    "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "http://198.18.0.1/hook",  # benchmarking
    "http://240.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://127.0.0.1/hook",
    "http://0.0.0.0/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_special_addresses_and_what_they_carry_are_refused(url: str) -> None:
    why = refusal(url, [])
    assert why and "special-purpose range" in why and "FOREWARN_WEBHOOK_ALLOW" in why, why


def test_port_zero_and_nonsense_ports_are_refused() -> None:
    assert refusal("http://8.8.8.8:0/hook", []) == "port 0 is no port a server listens on"
    assert refusal("http://8.8.8.8:70000/hook", []) == "its port must be a number from 1 to 65535"


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hook", "http://[2606:4700::1111]/hook", "http://[64:ff9b::808:808]/hook"]
)
def test_public_addresses_pass_nat64_of_a_public_one_included(url: str) -> None:
    assert refusal(url, []) is None


def test_an_allowed_network_is_allowed_however_it_is_written() -> None:
    allowed = [ip_network("10.1.0.0/16")]
    assert refusal("http://10.1.2.3/hook", allowed) is None
    assert refusal("http://[::ffff:10.1.2.3]/hook", allowed) is None
    assert refusal("http://[64:ff9b::a01:203]/hook", allowed) is None
    # Allowing one address a Teredo address carries does not allow the other.
    assert refusal("http://[2001:0:a01:203:8000:63bf:80ff:fffe]/hook", allowed)


def test_a_refusal_says_what_the_address_is_for() -> None:
    assert refusal("http://127.0.0.1/hook", []).startswith("127.0.0.1 is a loopback address")
    assert refusal("http://localhost/hook", []).startswith(
        "localhost resolves to 127.0.0.1, a loopback address"
    )
    assert refusal("http://10.1.2.3/hook", []).startswith("10.1.2.3 is a private address")
    assert refusal("http://[::ffff:169.254.169.254]/", []).startswith(
        "::ffff:169.254.169.254 is an address that carries 169.254.169.254, a link-local address"
    )
