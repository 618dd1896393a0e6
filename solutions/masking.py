"""Masks personal and secret data in ticket text before an outside expert sees it.

Regular expressions, not an NLP library: libraries such as Presidio or scrubadub need spaCy
models that can't be downloaded in this deployment. The patterns cover the formats that IT
tickets carry: addresses, numbers, keys and credentials, and names in greetings and
signatures. They are bounded (no nested quantifiers) so a 1 MB ticket masks in linear time.
Replacements are typed tokens, such as `[email]`, so the expert still understands the text.
Masking twice gives the same text as masking once.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]{1,30}"
# A name is one to three capitalised words, optionally after a title, on the same line.
NAME = rf"(?:(?:Mr|Mrs|Ms|Dr|Prof)\.?[ \t]+)?{NAME_WORD}(?:[ \t]+{NAME_WORD}){{0,2}}"
# Words that follow a greeting but are not names.
NOT_NAMES = {
    "team",
    "all",
    "there",
    "everyone",
    "folks",
    "guys",
    "support",
    "it",
    "helpdesk",
    "service",
    "desk",
    "sir",
    "madam",
    "colleagues",
    "admin",
    "admins",
    "again",
    "hello",
    "good",
    "morning",
    "afternoon",
    "evening",
    "customer",
    "user",
    "users",
    "staff",
    "ops",
    "devops",
    "engineering",
    "security",
    "network",
    "please",
    "thanks",
}


@dataclass(frozen=True)
class Masked:
    text: str
    counts: dict[str, int]


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_ipv4(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def _is_ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate.strip("[]"))
    except ValueError:
        return False
    return candidate.count(":") >= 2


Replacer = Callable[[re.Match[str]], str | None]


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    # Returns the replacement of the whole match, or None to leave it alone.
    replace: Replacer


def _token(kind: str) -> Replacer:
    return lambda _m: f"[{kind}]"


def _keep_prefix(kind: str) -> Replacer:
    """For `label<sep>value` patterns: keep the label, mask the value."""
    return lambda m: f"{m.group('label')}[{kind}]"


def _greeting(m: re.Match[str]) -> str | None:
    first = m.group("name").split()[0].rstrip(".").lower()
    if first in NOT_NAMES:
        return None
    return f"{m.group('lead')}[name]"


def _signature(m: re.Match[str]) -> str | None:
    name = m.group("name")
    if name.split()[0].lower() in NOT_NAMES:
        return None
    return f"{m.group('lead')}[name]"


def _card(m: re.Match[str]) -> str | None:
    digits = re.sub(r"\D", "", m.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else None


def _ipv4(m: re.Match[str]) -> str | None:
    return "[ip]" if _is_ipv4(m.group("ip")) else None


def _ipv6(m: re.Match[str]) -> str | None:
    return "[ip]" if _is_ipv6(m.group(0).split("/")[0]) else None


def _phone(m: re.Match[str]) -> str | None:
    digits = re.sub(r"\D", "", m.group(0))
    # Fewer than 7 digits is a port, a count or a PIN-less code; dates are excluded below.
    return "[phone]" if 7 <= len(digits) <= 15 else None


# Patterns of labels that precede secrets, not secrets (hence the S105 waivers).
SECRET_LABEL = (
    r"(?:api[_ -]?key|apikey|access[_ -]?key|secret(?:[_ -]?key)?|client[_ -]?secret|"  # noqa: S105
    r"auth[_ -]?token|access[_ -]?token|refresh[_ -]?token|token|aws_secret_access_key)"
)
PASSWORD_LABEL = r"(?:password|passwort|passwd|pwd|pass|passcode|pin)"  # noqa: S105

RULES: list[Rule] = [
    Rule(
        "secret",
        re.compile(
            r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----.{0,20000}?"
            r"-----END [A-Z ]{0,40}PRIVATE KEY-----",
            re.S,
        ),
        _token("secret"),
    ),
    # Credentials inside URLs and connection strings: scheme://user:password@host.
    Rule(
        "secret",
        re.compile(r"(?P<label>\b[a-z][a-z0-9+.-]{1,20}://)[^\s:/@]{1,100}:[^\s@/]{1,200}@"),
        lambda m: f"{m.group('label')}[secret]@",
    ),
    Rule(
        "secret",
        re.compile(r"(?P<label>\bBearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}", re.I),
        _keep_prefix("secret"),
    ),
    Rule(
        "secret",
        re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
        _token("secret"),
    ),
    Rule(
        "secret",
        re.compile(
            r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"
            r"|\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,255}\b"
            r"|\bgithub_pat_[A-Za-z0-9_]{20,255}\b"
            r"|\bxox[abprs]-[A-Za-z0-9-]{10,200}\b"
            r"|\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,200}\b"
            r"|\bAIza[A-Za-z0-9_-]{30,40}\b"
            r"|\bglpat-[A-Za-z0-9_-]{20,}\b"
        ),
        _token("secret"),
    ),
    Rule(
        "secret",
        re.compile(
            rf"(?P<label>\b{SECRET_LABEL}\b[\"']?[ \t]*(?:[:=]|\bis\b)[ \t]*[\"']?)"
            r"(?!\[)[^\s\"',;]{6,300}",
            re.I,
        ),
        _keep_prefix("secret"),
    ),
    Rule(
        "password",
        re.compile(
            rf"(?P<label>\b{PASSWORD_LABEL}\b[\"']?[ \t]*(?:[:=]|\bis\b|\bwas\b)[ \t]*[\"']?)"
            r"(?!\[)[^\s\"',;]{3,200}",
            re.I,
        ),
        _keep_prefix("password"),
    ),
    Rule(
        "email",
        re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}\b"),
        _token("email"),
    ),
    Rule("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), _card),
    Rule(
        "ip",
        re.compile(r"(?<![\w.])(?P<ip>(?:\d{1,3}\.){3}\d{1,3})(?:/\d{1,2}|:\d{1,5})?(?![\w.])"),
        _ipv4,
    ),
    Rule(
        "ip",
        re.compile(
            r"(?<![\w:])\[?(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}\]?(?:/\d{1,3})?(?![\w:])"
        ),
        _ipv6,
    ),
    Rule(
        "phone",
        re.compile(
            r"(?<![\w.+-])(?:\+|00)?\d{1,4}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){0,4}"
            r"(?:[ \t]*(?:ext\.?|x)[ \t]*\d{1,6})?(?![\w.:-])"
        ),
        _phone,
    ),
    # Greetings: "Hi John,", "Dear Dr. Patel", "Hello Mary Smith".
    Rule(
        "name",
        re.compile(
            rf"(?P<lead>(?:^|(?<=[\n.!?]))[ \t]*(?:Hi|Hello|Hey|Dear|Good (?:morning|afternoon|"
            rf"evening)|Hallo|Bonjour|Hola)[ \t]+)(?P<name>{NAME})(?=[ \t]*[,!:\n])",
            re.M,
        ),
        _greeting,
    ),
    # Sign-offs followed by a name on the same or the next line.
    Rule(
        "name",
        re.compile(
            rf"(?P<lead>(?:^|\n)[ \t]*(?:Thanks|Thank you|Many thanks|Regards|Best regards|Kind "
            rf"regards|Best|Cheers|Sincerely|Grüße|Viele Grüße|Cordialement|Saludos|--)[ \t]*"
            rf"[,!]?[ \t]*(?:\n[ \t]*(?:-- ?\n[ \t]*)?)?)(?P<name>{NAME})(?=[ \t]*(?:\n|$))",
            re.M,
        ),
        _signature,
    ),
]

# Dates and times look like phone numbers to the phone rule; they are masked back out of it.
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")


def mask(text: str) -> Masked:
    counts: Counter[str] = Counter()
    for rule in RULES:

        def substitute(m: re.Match[str], rule: Rule = rule) -> str:
            if rule.kind == "phone" and DATE_LIKE.match(m.group(0)):
                return m.group(0)
            replacement = rule.replace(m)
            if replacement is None:
                return m.group(0)
            counts[rule.kind] += 1
            return replacement

        text = rule.pattern.sub(substitute, text)
    return Masked(text=text, counts=dict(counts))


def mask_text(text: str) -> str:
    return mask(text).text
