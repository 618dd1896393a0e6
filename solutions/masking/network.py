"""Addresses of people and machines: e-mail addresses (also written "jane (at) acme (dot)
com"), MAC addresses and IP addresses. Ports and prefix lengths stay: they say which service,
not whose machine."""

from __future__ import annotations

import ipaddress
import re

from .base import TOKEN, Rule, Tally, regex_rule

_EMAIL = re.compile(r"[\w.%+-](?<![\w.%+-].)[\w.%+-]*+@(?P<domain>[\w-]++(?:\.[\w-]++)++)")


def _email_replace(match: re.Match[str]) -> str | None:
    labels = match["domain"].split(".")
    top = labels[-1]
    if len(top) < 2 or not top.isalpha():
        return None
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return None
    return TOKEN["email"]


# "jane (at) acme-corp (dot) com", "jane[at]acme[dot]com", "jane at acme dot com": a marker in
# brackets is enough; the bare words "at" and "dot" both have to be there.
_AT = (
    r"(?:[ \t]*(?P<bracket_at>[(\[{<][ \t]*(?i:at|@|arroba|arobase|ät)[ \t]*[)\]}>])[ \t]*"
    r"|(?P<spaced_at>[ \t]+@[ \t]+|@@|&#0*64;|&commat;|%40|[ \t]+(?i:arroba|arobase)[ \t]+)"
    r"|[ \t]+(?i:at)[ \t]+)"
)
_DOT = (
    r"(?:[ \t]*[(\[{<][ \t]*(?:(?i:dot|punkt|point)|\.)[ \t]*[)\]}>][ \t]*|[ \t]+(?i:dot)[ \t]+"
    r"|[ \t]+\.[ \t]+|\.)"
)
_OBFUSCATED_EMAIL = re.compile(
    r"[\w.%+-](?<![\w.%+-].)[\w.%+-]{0,63}+"
    + _AT
    + r"[\w-]{1,63}+(?:"
    + _DOT
    + r"[\w-]{1,63}+){1,4}"
)


def _obfuscated_email_replace(match: re.Match[str]) -> str | None:
    found = match.group()
    words_dot = re.search(r"[ \t](?i:dot)[ \t]|[(\[{<][ \t]*(?:(?i:dot|punkt|point)|\.)", found)
    if match["bracket_at"] is None and match["spaced_at"] is None and words_dot is None:
        return None  # "look at example.com" is an instruction, not an address
    top = re.split(r"[^\w-]+", found)[-1]
    if not 2 <= len(top) <= 12 or not top.isalpha():
        return None
    return TOKEN["email"]


# Phone numbers inside links: WhatsApp (wa.me/…, api.whatsapp.com/send?phone=…) and tel:.
_PHONE_LINK = re.compile(
    r"(?P<head>w(?<![\w.-].)a\.me/|whatsapp\.com/send\?phone=|(?<![\w-])tel:)"
    r"(?P<number>\+?[0-9][0-9 ()./-]{5,20}[0-9])"
)


def _phone_link(match: re.Match[str]) -> str | None:
    if sum(ch.isdigit() for ch in match["number"]) < 7:
        return None
    return match["head"] + TOKEN["phone"]


# MAC addresses: six pairs with one separator throughout, or Cisco's three dotted quads (with
# a hex letter, so that a dotted build number stays).
_MAC = re.compile(
    r"[0-9A-Fa-f](?<![\w:.-].)(?:[0-9A-Fa-f](?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-]|\.[0-9A-Fa-f])"
)


# Twelve hex digits in a row are a MAC address only where the text says so.
_MAC_BARE = re.compile(
    r"(?P<head>[Mm](?<![\w-].)(?i:ac)(?:[ \t-]?(?i:address|adresse|addr|id))?[ \t]*[:=#]?[ \t]*)"
    r"(?P<value>[0-9A-Fa-f]{12})(?![\w:.-])"
)


def _mac_bare(match: re.Match[str]) -> str | None:
    value = match["value"]
    if value.isdigit() or value.isalpha():
        return None
    return match["head"] + TOKEN["mac"]


def _mac_replace(match: re.Match[str]) -> str | None:
    found = match.group()
    if "." in found and not any(ch in "abcdefABCDEF" for ch in found):
        return None
    return TOKEN["mac"]


# Ports and prefix lengths stay visible: they say which service, not whose machine. The
# candidate needs two colons; the address itself is checked by `ipaddress`.
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![\w.].)(?:(?<=:)|[0-9A-Fa-f]{0,3}+:)[0-9A-Fa-f]*+:[0-9A-Fa-f:]*+"
    r"(?:\.[0-9]{1,3}){0,3}+(?:%[\w.]+)?(?!\w)"
)


def _network_prefix(match: re.Match[str]) -> int | None:
    """The prefix length written right after the address ("10.0.0.0/8"), if any."""
    after = re.match(r"/([0-9]{1,3})(?![0-9])", match.string[match.end() : match.end() + 4])
    return int(after[1]) if after else None


def _kept_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int | None
) -> bool:
    """Networks (a prefix with all host bits zero: "10.0.0.0/8", "fd12:3456::/48") and the
    addresses that name no machine (0.0.0.0, loopback) tell the expert about routing or
    binding, not about whose machine it is."""
    if address.is_unspecified or address.is_loopback:
        return True
    if prefix is None or prefix >= address.max_prefixlen:
        return False
    try:
        ipaddress.ip_network(f"{address}/{prefix}", strict=True)
    except ValueError:
        return False
    return True


def _ipv6_replace(match: re.Match[str]) -> str | None:
    address = match.group().split("%")[0]
    # "::" alone is C++ scope or an emoticon more often than the unspecified address.
    if not any(ch.isalnum() for ch in address):
        return None
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        return None
    if _kept_address(parsed, _network_prefix(match)):
        return None
    return TOKEN["ip"]


_IPV6_RULE = regex_rule(_IPV6, _ipv6_replace, needs=":")


def _mask_ipv6(text: str, counts: Tally) -> str:
    masked = _IPV6_RULE(text, counts)
    # "[2001:db8::1]:443" is an address in brackets, not an address in a placeholder.
    return masked.replace("[[ip]]", "[ip]")


# Exactly four octets (checked by `ipaddress`): 10.2.3 and 4.2.1 are versions; 1.2.3.4 is
# taken for an address.
_IPV4 = re.compile(r"[0-9](?<![\w.].)(?<![0-9]:.)[0-9]{0,2}+(?:\.[0-9]{1,3}+){3}(?!\w|\.[0-9])")


# Four dotted numbers after these words are a version or a netmask, not a machine.
_NOT_AN_ADDRESS_BEFORE = re.compile(
    r"(?<![^\W_])(?i:version|ver\.?|build|firmware|fw|release|revision|rev\.?|bios"
    r"|netmask|subnet[ \t]+mask|mask|maske|masque|máscara)[ \t:=]*\Z"
)


def _version_or_mask(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 24) : match.start()]
    return _NOT_AN_ADDRESS_BEFORE.search(before) is not None


def _ipv4_replace(match: re.Match[str]) -> str | None:
    try:
        parsed = ipaddress.IPv4Address(match.group())
    except ValueError:
        return None
    if _kept_address(parsed, _network_prefix(match)) or _version_or_mask(match):
        return None
    # A netmask (255.255.255.0) is a shape, not a machine.
    if str(parsed).startswith("255.") and bin(int(parsed)).rstrip("0").count("0") == 1:
        return None
    return TOKEN["ip"]


RULES: tuple[Rule, ...] = (
    regex_rule(_EMAIL, _email_replace, needs="@"),
    regex_rule(_OBFUSCATED_EMAIL, _obfuscated_email_replace),
    regex_rule(_PHONE_LINK, _phone_link),
    regex_rule(_MAC, _mac_replace),
    regex_rule(_MAC_BARE, _mac_bare),
    _mask_ipv6,
    regex_rule(_IPV4, _ipv4_replace, needs="."),
)
