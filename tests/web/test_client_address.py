"""Who the client is behind proxies: only trusted hops are skipped, from the right."""

from __future__ import annotations

import pytest
from starlette.types import Receive, Scope, Send

from identity.errors import ConfigurationError
from identity.networks import client_address, parse_networks
from identity.web.client_address import KEPT_CHARACTERS, ClientAddressMiddleware

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


async def test_the_middleware_finds_each_request_its_own_client_when_it_keeps_them() -> None:
    seen: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["client"][0])

    middleware = ClientAddressMiddleware(app, trusted="10.0.0.0/8")
    long = ", ".join(["10.0.0.9"] * (KEPT_CHARACTERS // 8)) + ", 198.51.100.8"
    requests = [
        ("10.0.0.1", [b"198.51.100.7"]),
        ("10.0.0.1", [b"198.51.100.7"]),
        ("10.0.0.1", [b"198.51.100.9"]),
        ("10.0.0.1", [b"6.6.6.6", b"198.51.100.7"]),
        ("203.0.113.9", [b"198.51.100.7"]),
        ("10.0.0.1", []),
        ("10.0.0.1", [long.encode()]),
        ("10.0.0.1", [long.encode()]),
    ]
    for peer, values in requests:
        headers = [(b"x-forwarded-for", value) for value in values]
        await middleware({"type": "http", "client": (peer, 1), "headers": headers}, None, None)  # type: ignore[arg-type]
    assert seen == [
        "198.51.100.7",
        "198.51.100.7",
        "198.51.100.9",
        "198.51.100.7",
        "203.0.113.9",
        "10.0.0.1",
        "198.51.100.8",
        "198.51.100.8",
    ]
