"""Where a webhook may go, and the one HTTP POST of an attempt.

Server-side request forgery: an endpoint URL is chosen by a customer, and our workers sit
inside our network. So the host is resolved and every address it resolves to must be a public
one. What is not public is an explicit deny list, `DENIED_NETWORKS`: every range of IANA's
IPv4 and IPv6 special-purpose registries that is not globally reachable (loopback, private,
carrier-grade NAT, link-local with the cloud metadata service at 169.254.169.254, site-local,
unique-local, documentation, benchmarking, IETF protocol assignments with Teredo and ORCHID,
6to4 relays, multicast, reserved), plus all IPv6 outside the global unicast range 2000::/3.
An IPv6 address that carries an IPv4 one (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) is judged by
the IPv4 address inside. The check runs when the endpoint is saved (a form error) and again
at every attempt.

DNS rebinding: a host can resolve to a public address when it is checked and to 127.0.0.1 a
moment later. So an attempt does not resolve twice: it resolves once, checks those addresses,
and connects to the checked address itself (urllib3 pool on the IP; the URL's host goes in the
`Host` header and, for https, in SNI and certificate verification). Proxies from the
environment are not used (they would resolve the name again), and redirects are not followed
(a 3xx is a failed attempt), so a public receiver can't bounce us to an internal one.

WEBHOOK_ALLOW_PRIVATE_TARGETS (off by default, forced off in production) lets loopback and
private addresses through, for development and tests (the entries marked `private`);
link-local, multicast, documentation, reserved and the rest stay refused even then.
WEBHOOK_REQUIRE_HTTPS (on in production) refuses http:// URLs unless private targets are
allowed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EXCERPT_BYTES = 1024
EXCERPT_CHARS = 500


class UnsafeTarget(Exception):  # noqa: N818 - a refusal shown to people, not a bug
    """The URL may not receive webhooks; the message says why, in words for the form."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeniedNetwork:
    """A network no webhook may reach. `private`: WEBHOOK_ALLOW_PRIVATE_TARGETS lets it
    through (loopback and private space, for development); everything else stays refused."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    kind: str  # "a loopback address": the form says "<host> is a loopback address"
    source: str  # where the range is defined, for the docs and whoever reads this list
    private: bool = False


def _deny(cidr: str, kind: str, source: str, *, private: bool = False) -> DeniedNetwork:
    return DeniedNetwork(ipaddress.ip_network(cidr), kind, source, private)


# Every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries that is not
# globally reachable, written out instead of asking `ipaddress` (`is_global`, `is_private`):
# what the standard library counts as global differs between Python versions, and some of it
# is wrong for us (Python 3.11 calls the deprecated site-local fec0::/10 and the documentation
# prefix 3fff::/20 global). The most specific match names the reason.
DENIED_NETWORKS: tuple[DeniedNetwork, ...] = (
    _deny("0.0.0.0/8", "an unspecified address", "RFC 791 (this network)"),
    _deny("10.0.0.0/8", "a private address", "RFC 1918", private=True),
    _deny("100.64.0.0/10", "a private address", "RFC 6598 (carrier-grade NAT)", private=True),
    _deny("127.0.0.0/8", "a loopback address", "RFC 1122", private=True),
    _deny("169.254.0.0/16", "a link-local address", "RFC 3927 (cloud metadata service)"),
    _deny("172.16.0.0/12", "a private address", "RFC 1918", private=True),
    # All of it, although 192.0.0.9 and 192.0.0.10 are anycast services: no webhook
    # receiver lives in this block.
    _deny("192.0.0.0/24", "an IETF protocol address", "RFC 6890"),
    _deny("192.0.2.0/24", "a documentation address", "RFC 5737 (TEST-NET-1)"),
    _deny("192.88.99.0/24", "a 6to4 relay address", "RFC 7526 (deprecated relay anycast)"),
    _deny("192.168.0.0/16", "a private address", "RFC 1918", private=True),
    _deny("198.18.0.0/15", "a benchmarking address", "RFC 2544"),
    _deny("198.51.100.0/24", "a documentation address", "RFC 5737 (TEST-NET-2)"),
    _deny("203.0.113.0/24", "a documentation address", "RFC 5737 (TEST-NET-3)"),
    _deny("224.0.0.0/4", "a multicast address", "RFC 5771"),
    _deny("240.0.0.0/4", "a reserved address", "RFC 1112"),
    _deny("255.255.255.255/32", "a broadcast address", "RFC 919"),
    _deny("::/128", "an unspecified address", "RFC 4291"),
    _deny("::1/128", "a loopback address", "RFC 4291", private=True),
    # The local-use NAT64 prefix is not globally reachable, and where its IPv4 address sits
    # depends on how the local translator is set up (RFC 6052 allows /48 to /96), so the
    # embedded address can't be read reliably: refused as a whole. The well-known prefix
    # 64:ff9b::/96 has a fixed layout and is checked by its embedded address instead.
    _deny("64:ff9b:1::/48", "a local-use NAT64 address", "RFC 8215", private=True),
    _deny("100::/64", "a discard-only address", "RFC 6666"),
    _deny("100:0:0:1::/64", "a reserved address", "RFC 9780 (dummy prefix)"),
    _deny("2001::/23", "an IETF protocol address", "RFC 2928"),
    _deny("2001::/32", "a Teredo address", "RFC 4380"),
    _deny("2001:2::/48", "a benchmarking address", "RFC 5180"),
    _deny("2001:10::/28", "an ORCHID address", "RFC 4843 (deprecated)"),
    _deny("2001:20::/28", "an ORCHID address", "RFC 7343 (ORCHIDv2)"),
    _deny("2001:db8::/32", "a documentation address", "RFC 3849"),
    _deny("3fff::/20", "a documentation address", "RFC 9637"),
    _deny("5f00::/16", "an SRv6 segment-identifier address", "RFC 9602"),
    _deny("fc00::/7", "a private address", "RFC 4193 (unique-local)", private=True),
    _deny("fe80::/10", "a link-local address", "RFC 4291"),
    _deny("fec0::/10", "a site-local address", "RFC 3879 (deprecated)"),
    _deny("ff00::/8", "a multicast address", "RFC 4291"),
)
# IPv6 outside the global unicast range (RFC 4291, IANA IPv6 Address Space) is refused even
# where no entry above names it: nothing there is a host on the internet.
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address stands for, where it has a fixed place: IPv4-mapped
    (::ffff:0:0/96), the well-known NAT64 prefix (64:ff9b::/96, RFC 6052) and 6to4
    (2002::/16, RFC 3056). Such an address reaches whatever its IPv4 address reaches."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    return None


def address_refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why `ip` may not receive webhooks ("a loopback address"), or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            form, inner = embedded
            reason = address_refusal(inner, allow_private=allow_private)
            return None if reason is None else f"{reason} ({form} form of {inner})"
    matches = [d for d in DENIED_NETWORKS if d.network.version == ip.version and ip in d.network]
    if matches:
        denied = max(matches, key=lambda d: d.network.prefixlen)
        return None if (denied.private and allow_private) else denied.kind
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _IPV6_GLOBAL_UNICAST:
        return "a reserved address"
    return None


def resolve_target(url: str, *, allow_private: bool | None = None) -> Target:
    """Parses and resolves `url`; raises UnsafeTarget unless every address it resolves to may
    receive webhooks. The returned target names the checked address to connect to."""
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("Use an http:// or https:// URL.")
    if scheme == "http" and settings.WEBHOOK_REQUIRE_HTTPS and not allow_private:
        raise UnsafeTarget("Use an https:// URL: webhooks are only sent over TLS.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget(
            "Leave credentials out of the URL; check the webhook-signature header instead."
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTarget("The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(f"The host {host} can't be resolved.") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeTarget(f"The host {host} can't be resolved.")
    # Every address, not just the first: a name can resolve to a public and a private one.
    for ip in addresses:
        reason = address_refusal(ip, allow_private=allow_private)
        if reason is not None:
            subject = host if host == str(ip) else f"{host} resolves to {ip}, which"
            # Say which setting opens loopback and private space, where it would: whoever
            # meets this while developing against a local receiver needs its name.
            hint = (
                " (WEBHOOK_ALLOW_PRIVATE_TARGETS lets loopback and private addresses through"
                " in development; production never does)"
                if address_refusal(ip, allow_private=True) is None
                else ""
            )
            raise UnsafeTarget(
                f"{subject} is {reason}; webhooks can only be sent to public addresses{hint}."
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, address=str(addresses[0]), path=path)


def _describe(exc: Exception) -> str:
    # NewConnectionError subclasses ConnectTimeoutError in urllib3, so it goes first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        reason = str(exc).rsplit(":", 1)[-1].strip()
        return f"Could not connect: {reason}"[:300]
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"Timed out after {settings.WEBHOOK_TIMEOUT_SECONDS:g} s."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {exc}"[:300]
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "The connection broke before a response arrived."
    return f"Delivery failed: {type(exc).__name__}."


def post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    """One POST, to the checked address, no redirects, no retries, a short timeout. Returns
    the status and the first bytes of the response; never raises for network trouble."""
    try:
        target = resolve_target(url)
    except UnsafeTarget as exc:
        return PostResult(status_code=None, error=f"Refused: {exc}"[:300])
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False
        )
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            raw = response.read(EXCERPT_BYTES)
        except urllib3.exceptions.HTTPError:
            raw = b""
        finally:
            response.close()
        excerpt = raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
        return PostResult(status_code=response.status, excerpt=excerpt)
    except urllib3.exceptions.HTTPError as exc:
        return PostResult(status_code=None, error=_describe(exc))
    finally:
        pool.close()
