"""Where webhooks may go: the guard against server-side request forgery (SSRF).

A webhook makes the portal send requests to addresses its users choose. Without a guard, a
company admin could point one at the cloud metadata service (169.254.169.254), the database on
10.x or an admin page on 127.0.0.1 and read the answers in the delivery log. So:

- the URL must be https:// (http:// only when WEBHOOKS_ALLOW_HTTP is set), with a host name or
  address, no user name or password in it;
- its host is resolved, and EVERY address it resolves to must be a public unicast address
  (`ipaddress.is_global`): private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local,
  shared (100.64/10), reserved, documentation, multicast and unspecified addresses are refused —
  unless the address lies in a network listed in WEBHOOKS_ALLOW_PRIVATE (tests list loopback;
  an on-premises install may list its own network). Multicast and unspecified addresses are
  refused even then;
- the check runs when a subscription is saved AND before every request, and the request is
  sent to the address that was checked (the host name goes only into the Host header and TLS
  SNI / certificate check): a DNS answer that changes between the check and the connection
  (DNS rebinding) cannot redirect it. Redirects are never followed (portal.webhooks.sender).

IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged by the IPv4 address inside: Python 3.11
does not count them as loopback or private.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from portal.errors import DomainError

URL_MAX = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class AddressRefused(DomainError):
    """The URL or one of the addresses its host resolves to is not allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


@dataclass(frozen=True)
class AddressPolicy:
    """Which destinations the settings allow."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    allow_http: bool = False

    @classmethod
    def from_config(cls, config) -> AddressPolicy:
        return cls(allowed_networks=parse_networks(config.get("WEBHOOKS_ALLOW_PRIVATE", "")),
                   allow_http=bool(config.get("WEBHOOKS_ALLOW_HTTP", False)))


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (the vetted addresses) and what to ask for."""

    scheme: str
    host: str  # as written in the URL (lower case, IPv6 without brackets)
    port: int
    target: str  # path and query, what goes on the request line
    addresses: list[str] = field(default_factory=list)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """"127.0.0.0/8, ::1" → networks; a bad entry stops start-up with its text (never ignored)."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"PORTAL_WEBHOOKS_ALLOW_PRIVATE: {item!r} is not an IP address or network") from None
    return tuple(networks)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (TCP), in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host name {host!r} could not be resolved.") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    return addresses


def parse_url(url: str, policy: AddressPolicy) -> Destination:
    """Check a URL's form (no DNS yet)."""
    url = (url or "").strip()
    if not url:
        raise AddressRefused("Please enter the URL of your endpoint.")
    if len(url) > URL_MAX:
        raise AddressRefused(f"The URL is too long (at most {URL_MAX} characters).")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise AddressRefused("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and policy.allow_http):
        raise AddressRefused("The URL must start with https://." if not policy.allow_http
                             else "The URL must start with https:// or http://.")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("Put no user name or password in the URL: check the signature instead.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused("The URL has no host name.")
    if not host.isascii():
        try:  # an internationalized name travels (DNS, Host header, TLS) in its ASCII form
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressRefused("The URL's host name is not valid.") from None
    if parts.fragment:
        raise AddressRefused("The URL must not have a #fragment.")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), target=target)


def refusal_reason(address: IPAddress, policy: AddressPolicy) -> str | None:
    """Why an address may not receive webhooks, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_multicast or address.is_unspecified:
        return "a multicast or unspecified address"
    if address.is_global:
        return None
    if any(address.version == net.version and address in net for net in policy.allowed_networks):
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if address.is_private and not address.is_reserved:
        return "a private network address"
    return "a reserved address that is not reachable on the internet"


def check_destination(url: str, policy: AddressPolicy, resolver: Resolver = system_resolver) -> Destination:
    """Parse, resolve and vet a URL; returns it with the addresses to connect to."""
    destination = parse_url(url, policy)
    try:
        literal = ipaddress.ip_address(destination.host)
    except ValueError:
        literal = None
    names = [str(literal)] if literal is not None else resolver(destination.host, destination.port)
    if not names:
        raise AddressRefused(f"The host name {destination.host!r} did not resolve to any address.")
    for name in names:
        reason = refusal_reason(ipaddress.ip_address(name.split("%", 1)[0]), policy)
        if reason is not None:
            shown = destination.host if literal is not None else f"{destination.host} ({name})"
            raise AddressRefused(f"Webhooks cannot be sent to {shown}: it is {reason}.")
    return Destination(destination.scheme, destination.host, destination.port, destination.target, names)
