"""Addresses and networks, and the client: the socket peer, unless that is a trusted proxy.

Behind trusted proxies (``IDENTITY_TRUSTED_PROXIES``, CIDRs) ``X-Forwarded-For`` is read from
the right, skipping trusted hops: the first untrusted hop is the client. Hops left of it were
written by the client and prove nothing, so a spoofed header from an untrusted peer, or
extra entries prepended by the client, change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from identity.errors import ConfigurationError

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def parse_networks(text: str, *, setting: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs or addresses; ConfigurationError naming ``setting``."""
    networks: list[Network] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ConfigurationError([f"{setting}: {part!r} is not an address or CIDR"]) from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address from a header hop: bare, ``[v6]`` or ``[v6]:port`` or ``v4:port``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def within(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str | None:
    """The client, from the socket peer and every ``X-Forwarded-For`` header value in order."""
    if peer is None or not trusted:
        return peer
    current = parse_address(peer)
    if current is None or not within(current, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        current = address
        if not within(address, trusted):
            break
    return str(current)
