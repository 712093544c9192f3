"""Which addresses a capture may reach: public ones only.

odr's browser runs inside odr's network. A URL that names (or resolves to, or redirects to) a
loopback, private, link-local (169.254.169.254: cloud metadata), shared (100.64/10: Alibaba
Cloud's metadata at 100.100.100.200), multicast, reserved or unspecified address would make
odr a tool for reaching inside that network: refused. An address is allowed only if Python
calls it global (`ipaddress`'s `is_global`, IANA's special-purpose registries); an IPv6 address
that carries an IPv4 one (mapped, 6to4, Teredo, NAT64) is judged by the IPv4 address too.
Loopback is allowed only when the settings say so, for tests (refused in production, see
odr/security/production.py).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from odr.errors import InvalidData

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the name has (strings); raises OSError when it has none.
Resolver = Callable[[str, int], list[str]]

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """A URL or host odr's browser must not reach; the message says why (for the record)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, allow_loopback: bool = False) -> str | None:
    """Why odr's browser may not reach this address, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return f"{address}: a scoped (link-local) address"
        if (inner := _embedded_ipv4(address)) is not None:
            found = refusal(inner, allow_loopback)
            return f"{address} carries {found}" if found else None
    if address.is_loopback:
        return None if allow_loopback else f"{address}: loopback"
    if address.is_global and not address.is_multicast:
        return None
    for kind, flag in (
        ("link-local (metadata)", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return f"{address}: {kind}"
    return f"{address}: not a public address"


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally ("10.0.0.1", "[::1]"), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL odr may be asked to capture; AddressRefused otherwise.
    Names are not resolved here: the capture resolves and checks them, pinned (gate.py)."""
    if len(url) > MAX_URL_LENGTH:
        raise AddressRefused(f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise AddressRefused(f"scheme {scheme or '(none)'!r}: only http and https")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise AddressRefused("no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("a URL with a user name or password")
    return scheme, host, port or (443 if scheme == "https" else 80)


def resolve_checked(
    host: str, port: int, resolver: Resolver, allow_loopback: bool = False
) -> IPAddress:
    """The one address a host may be reached at: every address it resolves to must be
    allowed (a name that also points inside is refused whole), and the first is used."""
    literal = literal_address(host)
    try:
        found = (
            [literal]
            if literal is not None
            else [ipaddress.ip_address(a) for a in resolver(host, port)]
        )
    except (OSError, UnicodeError, ValueError) as exc:
        raise AddressRefused(f"{host}: does not resolve ({exc})") from None
    if not found:
        raise AddressRefused(f"{host}: does not resolve")
    for address in found:
        if (reason := refusal(address, allow_loopback)) is not None:
            raise AddressRefused(reason if literal is not None else f"{host} resolves to {reason}")
    return found[0]


def form_url(value: str, allow_loopback: bool = False) -> str:
    """A URL typed into a form, checked as far as it can be without resolving it; InvalidData
    naming the field otherwise."""
    url = value.strip()
    if url and "://" not in url:
        url = "https://" + url
    try:
        _, host, _ = check_url(url)
        if (literal := literal_address(host)) is not None and (
            reason := refusal(literal, allow_loopback)
        ):
            raise AddressRefused(reason)
    except AddressRefused as exc:
        raise InvalidData({"url": str(exc)}) from None  # the page says 不可取证 and shows why
    return url
