"""Where a webhook may go, and the one HTTP POST of an attempt.

Server-side request forgery: an endpoint URL is chosen by a customer, and our workers sit
inside our network. So the host is resolved and every address it resolves to must be a public
one: loopback, private (RFC 1918, unique-local, carrier-grade NAT), link-local (including the
cloud metadata service at 169.254.169.254), multicast, reserved and unspecified addresses are
refused, also when they hide inside IPv6 (IPv4-mapped, NAT64, 6to4, Teredo). The check runs
when the endpoint is saved (a form error) and again at every attempt.

DNS rebinding: a host can resolve to a public address when it is checked and to 127.0.0.1 a
moment later. So an attempt does not resolve twice: it resolves once, checks those addresses,
and connects to the checked address itself (urllib3 pool on the IP; the URL's host goes in the
`Host` header and, for https, in SNI and certificate verification). Proxies from the
environment are not used (they would resolve the name again), and redirects are not followed
(a 3xx is a failed attempt), so a public receiver can't bounce us to an internal one.

WEBHOOK_ALLOW_PRIVATE_TARGETS (off by default, forced off in production) lets loopback and
private addresses through, for development and tests; link-local, multicast, reserved and
unspecified addresses stay refused even then. WEBHOOK_REQUIRE_HTTPS (on in production) refuses
http:// URLs unless private targets are allowed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
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


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why `ip` may not receive webhooks ("a loopback address"), or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_refusal(inner, allow_private=allow_private)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_loopback:
        return None if allow_private else "a loopback address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:
        return None if allow_private else "a private address"
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
            raise UnsafeTarget(
                f"{subject} is {reason}; webhooks can only be sent to public addresses."
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
