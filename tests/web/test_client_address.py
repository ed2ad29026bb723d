"""Who the client is behind proxies: only trusted hops are skipped, from the right."""

from __future__ import annotations

import pytest

from identity.errors import ConfigurationError
from identity.networks import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 127.0.0.1, fd00::/8", setting="IDENTITY_TRUSTED_PROXIES")


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("203.0.113.9", ["6.6.6.6"], "203.0.113.9"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("10.0.0.1", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.1", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
        ("10.0.0.1", ["198.51.100.7, 10.0.0.2"], "198.51.100.7"),
        ("10.0.0.1", ["6.6.6.6", "198.51.100.7, 10.0.0.2"], "198.51.100.7"),
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),
        ("10.0.0.1", ["junk, 10.0.0.2"], "10.0.0.2"),
        ("10.0.0.1", ["198.51.100.7:5555"], "198.51.100.7"),
        ("10.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("fd00::1", ["2001:db8::2"], "2001:db8::2"),
        ("127.0.0.1", ["", " , 198.51.100.7"], "198.51.100.7"),
        (None, ["198.51.100.7"], None),
    ],
)
def test_forwarded_for_read_from_the_right(
    peer: str | None, headers: list[str], expected: str | None
) -> None:
    assert client_address(peer, headers, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("127.0.0.1", ["198.51.100.7"], ()) == "127.0.0.1"


def test_an_unparsable_peer_is_not_trusted() -> None:
    assert client_address("testclient", ["198.51.100.7"], PROXIES) == "testclient"


def test_bad_networks_name_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"IDENTITY_TRUSTED_PROXIES: '10\.0\.0\.0/33'"):
        parse_networks("10.0.0.0/33", setting="IDENTITY_TRUSTED_PROXIES")
