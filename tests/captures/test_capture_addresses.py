"""Which URLs and addresses a capture may reach (no network: names come from a stub)."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest
from capture_net import StubResolver

from odr.captures.addresses import (
    AddressRefused,
    check_url,
    form_url,
    refusal,
    resolve_checked,
)
from odr.errors import InvalidData
from odr.security.production import InsecureSettings, check_production
from odr.settings import Settings


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # Alibaba Cloud's metadata (shared address space)
        "fd00:ec2::254",  # AWS metadata over IPv6 (unique local)
        "fe80::1",
        "224.0.0.1",
        "ff02::1",
        "0.0.0.0",
        "240.0.0.1",
        "255.255.255.255",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "192.0.2.1",  # documentation
    ],
)
def test_addresses_inside_or_reserved_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["1.1.1.1", "223.5.5.5", "2400:3200::1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_loopback_only_when_the_setting_allows_it() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/",
        "javascript:alert(1)",
        "data:text/html,<h1>x</h1>",
        "chrome://settings",
        "gopher://example.com/",
        "http://user:secret@example.com/",
        "http:///nohost",
        "http://example.com:99999/",
        "https://example.com/" + "a" * 2100,
    ],
)
def test_urls_refused_before_any_lookup(url: str) -> None:
    with pytest.raises(AddressRefused):
        check_url(url)


def test_names_are_judged_by_every_address_they_resolve_to() -> None:
    stub = StubResolver()
    assert str(resolve_checked("shop.test", 80, stub, allow_loopback=True)) == "127.0.0.1"
    with pytest.raises(AddressRefused, match="private"):
        resolve_checked("internal.test", 80, stub, allow_loopback=True)
    with pytest.raises(AddressRefused, match="link-local"):
        resolve_checked("metadata.test", 80, stub, allow_loopback=True)
    with pytest.raises(AddressRefused, match="192.168.1.10"):
        resolve_checked("mixed.test", 80, stub, allow_loopback=True)  # one bad address: refused
    with pytest.raises(AddressRefused, match="loopback"):
        resolve_checked("shop.test", 80, stub)  # the production default
    with pytest.raises(AddressRefused, match="does not resolve"):
        resolve_checked("nowhere.test", 80, stub)


def test_a_form_names_the_field_and_adds_a_missing_scheme() -> None:
    assert form_url(" example.com/item/1 ") == "https://example.com/item/1"
    for bad in ("file:///etc/passwd", "http://10.0.0.1/", "http://[::1]:8000/"):
        with pytest.raises(InvalidData) as caught:
            form_url(bad)
        assert set(caught.value.errors) == {"url"}


def test_production_refuses_loopback_captures() -> None:
    settings = Settings(environment="production", secret_key="x" * 40)
    check_production(settings)
    with pytest.raises(InsecureSettings, match="ODR_CAPTURE_ALLOW_LOOPBACK"):
        check_production(dataclasses.replace(settings, capture_allow_loopback=True))
