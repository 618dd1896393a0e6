"""Masks personal and secret data in ticket text before an outside expert sees it.

An escalated ticket leaves the customer's organization, so the expert's copy has email
addresses, phone numbers, IP addresses, people's names, passwords, keys and tokens, and card
numbers replaced by typed placeholders: `[email]`, `[phone]`, `[ip]`, `[name]`, `[password]`,
`[secret]` (keys, tokens, private keys, credentials) and `[card]`. The expert still sees what
kind of thing stood there, and everything around it is left as it was.

Only the standard library's `re`: the usual libraries (Presidio, scrubadub) find names with an
NLP model, and no NLP model can be downloaded in this deployment; these patterns cover the
formats IT tickets carry. Without a model, names are found only where the text announces one:
after a greeting or a sign-off, in a signature, after "my name is" or in a mail header.

Where the two readings are close, masking errs towards hiding: an expert who loses a product
name after "Thanks," can ask, a customer whose password was shown cannot take it back.

Rules run in order: blocks and credentials first (a private key or `postgres://u:p@host`
contains what looks like emails and words), then values after keys, then addresses and
numbers, names last. No rule matches a placeholder, so masking masked text changes nothing.

Tickets carry pasted logs, so a megabyte must mask in a fraction of a second and no input may
make it slow. Every pattern is linear (possessive or bounded runs, nothing nested that can
backtrack), and most begin with a literal character or a character class rather than a
lookbehind, which lets the regex engine skip ahead instead of trying every position; where a
"not inside a word" check is needed it comes after that first character.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

KINDS = ("email", "phone", "ip", "name", "password", "secret", "card")
_TOKEN = {kind: f"[{kind}]" for kind in KINDS}


@dataclass(frozen=True)
class Masked:
    text: str
    counts: dict[str, int]  # kind -> how many were replaced, e.g. {"email": 2, "phone": 1}


def mask(text: str) -> Masked:
    counts: Counter[str] = Counter()
    for rule in _RULES:
        text = rule(text, counts)
    return Masked(text=text, counts={kind: counts[kind] for kind in KINDS if counts[kind]})


def mask_text(text: str) -> str:
    return mask(text).text


Rule = Callable[[str, "Counter[str]"], str]
# Returns what replaces the whole match, or None where the match turns out not to be one.
Replace = Callable[[re.Match[str]], "str | None"]


def _regex_rule(pattern: re.Pattern[str], replace: Replace, *, needs: str = "") -> Rule:
    def rule(text: str, counts: Counter[str]) -> str:
        if needs not in text:
            return text

        def one(match: re.Match[str]) -> str:
            found = match.group()
            out = replace(match)
            if out is None:
                return found
            for kind, token in _TOKEN.items():
                added = out.count(token) - found.count(token)
                if added > 0:
                    counts[kind] += added
            return out

        return pattern.sub(one, text)

    return rule


def _swap(match: re.Match[str], group: str, replacement: str) -> str:
    start, end = match.span(group)
    whole = match.group()
    return whole[: start - match.start()] + replacement + whole[end - match.start() :]


def _glued(match: re.Match[str], chars: str = "_-") -> bool:
    """Whether the match continues a word: `xAKIA…` is not an AWS key."""
    before = match.string[match.start() - 1 : match.start()]
    return bool(before) and (before.isalnum() or before in chars)


def _keywords(words: Iterable[str], *, camel_case: bool = False) -> str:
    """A case-insensitive alternation of `words` (regex fragments starting with a letter) that
    only starts a word, written so that it begins with a character class: the engine then
    skips to the possible first letters instead of trying the pattern at every position."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        by_first.setdefault(word[0].lower(), []).append(word[1:])
    first = "".join(sorted(f"{c}{c.upper()}" for c in by_first))
    # Not after a letter or digit; with camel_case also at a hump: newPassword, clientSecret.
    boundary = r"(?:(?<![^\W_].)|(?<=[a-z][A-Z]))" if camel_case else r"(?<![^\W_].)"
    tails = "|".join(f"(?<={c})(?:{'|'.join(rest)})" for c, rest in by_first.items())
    return rf"[{first}]{boundary}(?i:{tails})(?![^\W_])"


# Values that follow "password:" or "token is" in ordinary sentences, not credentials.
_NOT_VALUES = frozenset(
    """
    not no none null nil undefined empty blank missing unknown invalid valid expired expiring
    wrong correct incorrect required optional reset rejected locked blocked accepted changed
    unchanged same different ok okay fine working broken also still now being been the a an in
    on for of to at by from with without as so then there here this that it which what how why
    when too very just only always never sometimes again either neither both and or but case
    set stored saved managed synced known shown hidden visible long short weak strong complex
    true false yes n/a na tbd due about like my your his her our their its mine yours redacted
    removed masked provided attached below above enabled disabled off please see sent given
    generated whatever something nothing anything all
    """.split()
)
# Stand-ins people write instead of a real value, and this module's own placeholders.
_PLACEHOLDER = re.compile(
    r"\[\w+\]|\*+|[xX•●]{3,}|\.{3,}|…|\$\{[^}]*\}|%\w+%|\{\{.*\}\}|<[^>]*>", re.DOTALL
)
_TRAILING = ".,:;)]}"


def _is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.fullmatch(value.rstrip(".,:;)!?")))


# --- Private keys -------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# A key pasted without its END line: its base64 and header lines, up to a blank line.
_PEM_TRUNCATED = re.compile(r"(?:\r?\n[A-Za-z0-9+/=:,\t -]++)*+")


def _mask_private_keys(text: str, counts: Counter[str]) -> str:
    # The END markers are found once and walked with the BEGINs: searching for an END from each
    # BEGIN would rescan the text for every BEGIN of a text that has none.
    ends = [match.end() for match in _PEM_END.finditer(text)]
    out: list[str] = []
    pos = next_end = 0
    while (begin := _PEM_BEGIN.search(text, pos)) is not None:
        while next_end < len(ends) and ends[next_end] <= begin.end():
            next_end += 1
        if next_end < len(ends):
            stop = ends[next_end]
        else:
            truncated = _PEM_TRUNCATED.match(text, begin.end())
            stop = truncated.end() if truncated else begin.end()
        out += [text[pos : begin.start()], _TOKEN["secret"]]
        counts["secret"] += 1
        pos = stop
    out.append(text[pos:])
    return "".join(out)


# --- Credentials in URLs, headers and known token formats -----------------------------------

# scheme://user:password@host; the user goes too, it is half of the credential. Anchored on
# "://" and the scheme checked afterwards, so that the search jumps from one URL to the next.
_URL_CREDENTIALS = re.compile(r"://(?P<cred>[^\s/?#@:\[\]<>\"']{0,256}:[^\s/?#<>\"']{1,256})@")
_SCHEME = re.compile(r"(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}\Z")


def _url_credentials(match: re.Match[str]) -> str | None:
    if _SCHEME.search(match.string, max(0, match.start() - 32), match.start()) is None:
        return None
    return _swap(match, "cred", _TOKEN["secret"])


_AUTH_HEADER = re.compile(
    r"[Aa](?<![^\W_].)(?i:uthorization)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?i:bearer|basic|digest|negotiate|ntlm|token|bot|apikey|sharedkey|aws4-hmac-sha256)"
    r"[ \t]+)?(?P<value>[^\s\"'][^\r\n\"']*)"
)
_COOKIE_HEADER = re.compile(r"[Cc](?<![^\W_].)(?i:ookie)[ \t]*:[ \t]*(?P<value>[^\s][^\r\n]*)")
_BEARER = re.compile(r"[Bb](?<![^\W_].)(?i:earer)[ \t]+(?P<value>[A-Za-z0-9._~+/=-]{8,}+)")


def _header_value(match: re.Match[str]) -> str | None:
    value = match["value"].rstrip()
    if _is_placeholder(value.split()[0]) or value.casefold() in _NOT_VALUES:
        return None
    start = match.start("value") - match.start()
    whole = match.group()
    return whole[:start] + _TOKEN["secret"] + whole[start + len(value) :]


def _bearer_value(match: re.Match[str]) -> str | None:
    value = match["value"]
    # "Bearer authentication" is prose; a token has digits or is long.
    if len(value) < 20 and not any(ch.isdigit() for ch in value):
        return None
    return _swap(match, "value", _TOKEN["secret"])


# Each alternative starts with its own literal (see the module docstring).
_KNOWN_TOKENS = re.compile(
    r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA|SCA)[A-Z0-9]{16}"  # AWS access key ids
    r"|AIza[\w-]{35}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{20,255}+"  # GitHub
    r"|github_pat_\w{20,255}+"
    r"|glpat-[\w-]{20,}+"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}+"  # Slack
    r"|xapp-[A-Za-z0-9-]{10,}+"
    r"|sk_(?:live|test)_[A-Za-z0-9]{10,}+"  # Stripe
    r"|rk_(?:live|test)_[A-Za-z0-9]{10,}+"
    r"|pk_(?:live|test)_[A-Za-z0-9]{10,}+"
    r"|whsec_[A-Za-z0-9]{10,}+"
    r"|sk-(?:proj-)?[\w-]{20,}+"  # OpenAI-style
    r"|eyJ[\w-]{5,}+\.eyJ[\w-]{5,}+\.[\w-]*+"  # JWT: header.payload.signature
    r"|npm_[A-Za-z0-9]{36}"
    r"|SG\.[\w-]{16,}+\.[\w-]{16,}+"  # SendGrid
    r"(?![\w-])"
)
# BitLocker recovery keys, and Windows product keys (with a digit, so no dashed words).
_RECOVERY_KEYS = re.compile(
    r"[0-9A-Z](?:(?<=[0-9])[0-9]{5}(?:-[0-9]{6}){7}|[0-9A-Z]{4}(?:-[0-9A-Z]{5}){4})(?![\w-])"
)


def _token_replace(match: re.Match[str]) -> str | None:
    return None if _glued(match) else _TOKEN["secret"]


def _recovery_key_replace(match: re.Match[str]) -> str | None:
    if _glued(match) or not any(ch.isdigit() for ch in match.group()):
        return None
    return _TOKEN["secret"]


# --- Values after keys: "password: x", "api_key=x", "the token is x" ------------------------

_API_CREDENTIAL_KEYS = (
    r"api[ _-]?(?:key|token|secret)",
    "apikey",
    r"(?:access|auth|refresh|bearer|csrf|sas)[ _-]?token",
    r"id[ _-]?token",
    r"session[ _-]?(?:token|key|id)",
    "token",
    "secret",
    r"secret[ _-]?(?:access[ _-]?)?key",
    r"(?:client|app|consumer|webhook|shared)[ _-]?secret",
    r"(?:private|account|subscription|product|recovery|encryption|signing|master)[ _-]?key",
    r"shared[ _-]?access[ _-]?key",
    r"licen[cs]e[ _-]?key",
    r"access[ _-]?key(?:[ _-]?id)?",
    r"pre-?shared[ _-]?key",
    "psk",
    "sig",
    "credentials?",
)
_LOGIN_CREDENTIAL_KEYS = (
    "password",
    "passwd",
    "passwort",
    "kennwort",
    "passphrase",
    "passcode",
    "pwd",
    "pw",
    "pass",
)


def _expand(words: Iterable[str]) -> list[str]:
    """`(?:a|b)[ _-]?x` → `a[ _-]?x`, `b[ _-]?x`: `_keywords` needs a letter first."""
    out: list[str] = []
    for word in words:
        head = re.match(r"\(\?:([a-z|]+)\)(.*)", word)
        out += [f"{w}{head[2]}" for w in head[1].split("|")] if head else [word]
    return out


def _key_value(keys: Iterable[str]) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<key>{_keywords(_expand(keys), camel_case=True)})(?!-)"
        r"(?P<sep>"
        # "password for the VPN is x", "token of user jdoe: x"
        r"(?:[ \t]+(?i:for|of|on|to)[ \t]+[^\s:=,;]{1,40}(?:[ \t]+[^\s:=,;]{1,40}){0,2}?)?"
        r"(?:[\"']?[ \t]*(?:=>|:=|[:=])[ \t]*"
        r"|[ \t]+(?i:is|was)(?:[ \t]+(?i:now|still|currently))?[ \t]*:?[ \t]+"
        r"|[ \t]+(?i:(?:(?:has[ \t]+been|was|is)[ \t]+)?(?:set|changed|reset|updated)[ \t]+)?"
        r"(?i:to)[ \t]+)"
        r")"
        r"(?P<q>[\"'])?(?P<value>(?(q)[^\"'\r\n]{1,512}|[^\s\"'<>]++))"
    )


_API_CREDENTIAL_VALUE = _key_value(_API_CREDENTIAL_KEYS)
_LOGIN_CREDENTIAL_VALUE = _key_value(_LOGIN_CREDENTIAL_KEYS)
_CLI_VALUE = re.compile(
    r"-(?<![\w-]-)-?(?P<key>(?i:(?:[a-z0-9]+-){0,3}(?:password|passwd|pass|pwd|token|secret"
    r"|api-?key|client-secret|access-key|secret-key|auth-token|access-token)))"
    r"(?P<sep>[ \t]+)(?P<q>[\"'])?(?P<value>(?(q)[^\"'\r\n]{1,512}|[^\s\"'<>;&]++))"
)
_PIN = re.compile(
    r"(?P<key>[Pp](?<![\w-].)(?i:in|uk)(?:[ \t-]?(?i:code))?)"
    r"(?P<sep>[ \t]*(?:[:=]|(?i:is|was))?[ \t]*)(?P<value>[0-9]{4,8})(?!\w|[.,:/-][0-9])"
)


def _split_value(match: re.Match[str]) -> tuple[str, str]:
    """The value proper, and what follows it in the match but belongs to the sentence."""
    value = match["value"]
    if match["q"]:
        core = value.rstrip()
        return core, value[len(core) :]
    if "=" in match["sep"]:
        # key=value lists: a query string (&) or a connection string (;) goes on after it.
        cut = re.search(r"[;&]", value)
        if cut:
            return value[: cut.start()], value[cut.start() :]
    core = value.rstrip(_TRAILING)
    return core, value[len(core) :]


def _plausible_password(core: str, quoted: bool) -> bool:
    folded = core.casefold()
    # "the password is expired / failing / correctly set" describes it rather than gives it.
    return quoted or not (core.isalpha() and folded.endswith(("ed", "ing", "ly")))


def _plausible_secret(core: str, quoted: bool) -> bool:
    return quoted or (len(core) >= 8 and any(ch.isdigit() for ch in core))


def _value_replace(kind: str, in_prose: Callable[[str, bool], bool], min_length: int) -> Replace:
    def replace(match: re.Match[str]) -> str | None:
        if _is_placeholder(match["value"]):
            return None
        core, tail = _split_value(match)
        if len(core) < min_length or core.casefold() in _NOT_VALUES:
            return None
        if not any(ch in match["sep"] for ch in ":="):
            # "pass to the next step": the short keys only count with a colon or equals sign.
            if match["key"].casefold() in ("pass", "pw") or not in_prose(core, bool(match["q"])):
                return None
        return _swap(match, "value", _TOKEN[kind] + tail)

    return replace


def _cli_replace(match: re.Match[str]) -> str | None:
    if _is_placeholder(match["value"]):
        return None
    core, tail = _split_value(match)
    if core.startswith("-") or core.casefold() in _NOT_VALUES:
        return None
    key = match["key"].casefold()
    kind = "password" if "pass" in key or "pwd" in key else "secret"
    return _swap(match, "value", _TOKEN[kind] + tail)


def _pin_replace(match: re.Match[str]) -> str | None:
    key, sep = match["key"], match["sep"]
    # "PIN 1234" is a PIN; "pin 1234" of a connector is not, unless the text says so.
    announced = key[:3].isupper() or "code" in key.casefold() or sep.strip()
    return _swap(match, "value", _TOKEN["password"]) if announced else None


# --- Addresses and numbers --------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.%+-](?<![\w.%+-].)[\w.%+-]*+@(?P<domain>[\w-]++(?:\.[\w-]++)++)")


def _email_replace(match: re.Match[str]) -> str | None:
    labels = match["domain"].split(".")
    top = labels[-1]
    if len(top) < 2 or not top.isalpha():
        return None
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return None
    return _TOKEN["email"]


# Ports and prefix lengths stay visible: they say which service, not whose machine. The
# candidate needs two colons; the address itself is checked by `ipaddress`.
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![\w.].)(?:(?<=:)|[0-9A-Fa-f]{0,3}+:)[0-9A-Fa-f]*+:[0-9A-Fa-f:]*+"
    r"(?:\.[0-9]{1,3}){0,3}+(?:%[\w.]+)?(?!\w)"
)


def _ipv6_replace(match: re.Match[str]) -> str | None:
    address = match.group().split("%")[0]
    # "::" alone is C++ scope or an emoticon more often than the unspecified address.
    if not any(ch.isalnum() for ch in address):
        return None
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return None
    return _TOKEN["ip"]


_IPV6_RULE = _regex_rule(_IPV6, _ipv6_replace, needs=":")


def _mask_ipv6(text: str, counts: Counter[str]) -> str:
    masked = _IPV6_RULE(text, counts)
    # "[2001:db8::1]:443" is an address in brackets, not an address in a placeholder.
    return masked.replace("[[ip]]", "[ip]")


# Exactly four octets (checked by `ipaddress`): 10.2.3 and 4.2.1 are versions; 1.2.3.4 is
# taken for an address.
_IPV4 = re.compile(r"[0-9](?<![\w.].)(?<![0-9]:.)[0-9]{0,2}+(?:\.[0-9]{1,3}+){3}(?!\w|\.[0-9])")


def _ipv4_replace(match: re.Match[str]) -> str | None:
    try:
        ipaddress.IPv4Address(match.group())
    except ValueError:
        return None
    return _TOKEN["ip"]


_CARD = re.compile(
    r"[0-9](?<![\w.-].)(?:[0-9]{3}(?P<sep>[ -]?)[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}"
    r"|[0-9]{3}[ -]?[0-9]{6}[ -]?[0-9]{5}|[0-9]{12,18})(?!\w|[.-][0-9])"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card_replace(match: re.Match[str]) -> str | None:
    digits = re.sub(r"[^0-9]", "", match.group())
    # Card networks start with 2 to 6; this also drops 0000… and 1111… filler.
    if digits[0] not in "23456" or not _luhn_ok(digits):
        return None
    return _TOKEN["card"]


# The first character is the shape: "+49 …", "(030) …" or a digit. Units are digit runs or a
# parenthesised area code, joined by at most one separator; `_phone_replace` decides.
_PHONE = re.compile(
    r"(?P<number>[+(0-9](?<![\w+@=#/\\-].)(?<![0-9][.:].)"
    r"(?:(?<=\+)[ \t]?(?:\(\+?[0-9]{1,5}\)|[0-9]++)|(?<=\()\+?[0-9]{1,5}\)|(?<=[0-9])[0-9]*+)"
    r"(?:(?:[ \t]?[./-][ \t]?|[ \t])?(?:\([0-9]{1,5}\)|[0-9]++)){0,7}+)"
    r"(?P<ext>[ \t]*,?[ \t]*(?i:ext\.?|extension|x|\#)[ \t]*[0-9]{1,6})?"
    r"(?!\w|[.:/][0-9])"
)
_PHONE_UNIT = re.compile(r"\(\+?[0-9]{1,5}\)|\+?[0-9]+")
_PHONE_CONTEXT = re.compile(
    _keywords(
        "phone tel telephone mobile mob cell cellphone handy fax whatsapp sms hotline call ring"
        " reach text dial ext extension landline direct contact m t p f".split()
    )
    + r"(?:[ \t]*(?i:no|nr|number|num|\#))?\.?(?:[ \t]+(?i:me|us|him|her|them))?"
    r"(?:[ \t]+(?i:at|on|via|under|using))?[ \t]*[:.#=-]?[ \t]*\Z"
)
_DATE_LIKE = re.compile(
    r"[0-9](?<![0-9].)(?:[0-9]{3}[-./][0-9]{1,2}[-./][0-9]{1,2}"
    r"|[0-9]?[-./][0-9]{1,2}[-./](?:[0-9]{4}|[0-9]{2}))(?![0-9])"
)
_NANP = re.compile(
    r"(?:1[ .-]?)?(?:\([0-9]{3}\)[ \t]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}|[0-9]{3}[.-][0-9]{4}"
)
_INTERNATIONAL = ("+", "(+", "00")


def _after_phone_word(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 40) : match.start()]
    return _PHONE_CONTEXT.search(before) is not None


def _is_phone(number: str, unit_digits: list[int], context: bool) -> bool:
    if _DATE_LIKE.search(number):
        return False
    if number.startswith(_INTERNATIONAL):
        return True
    # A trunk prefix (0171 2345678, (030) 123456) or the North American 3-3-4 shape; amounts
    # with thousands separators (1 234 567) have neither.
    if len(unit_digits) > 1 and (
        number.startswith(("(", "0")) or (unit_digits[-1] == 4 and _NANP.fullmatch(number))
    ):
        return True
    # Otherwise a bare run of digits is an order number, a serial or an amount more often than
    # a phone number, unless the text says "phone".
    return context


def _phone_replace(match: re.Match[str]) -> str | None:
    number = match["number"]
    units = list(_PHONE_UNIT.finditer(number))
    digits = [len(unit.group().strip("+()")) for unit in units]
    if sum(digits) < 7:
        return None
    context = _after_phone_word(match)
    shaped = number.startswith(_INTERNATIONAL) or 4 in digits
    if not (context or shaped or any(unit.group()[0] in "(0" for unit in units[:3])):
        return None
    # Numbers separated by spaces can hold a phone number among other numbers ("room 12 0171
    # 2345678"), so narrower windows are tried too, cut at spaces only, widest first; a window
    # shaped like a phone number wins over one that only follows "phone:".
    windows = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2))
    tries = [(head, tail, False) for head, tail in windows] + ([(0, 0, True)] if context else [])
    for head, tail, by_context in tries:
        last = len(units) - 1 - tail
        if last < head:
            continue
        window_digits = digits[head : last + 1]
        international = head == 0 and number.startswith(_INTERNATIONAL)
        if not (8 if international else 7) <= sum(window_digits) <= 15:
            continue
        if window_digits.count(1) > 2:
            continue  # "1 2 3 4 5 6 7" is a list, not a number
        first_unit, last_unit = units[head], units[last]
        if head and not number[units[head - 1].end() : first_unit.start()].isspace():
            continue
        if tail and not number[last_unit.end() : units[last + 1].start()].isspace():
            continue
        start, end = (first_unit.start() if head else 0), last_unit.end()
        if _is_phone(number[start:end], window_digits, by_context):
            if tail:
                return number[:start] + _TOKEN["phone"] + number[end:] + (match["ext"] or "")
            return number[:start] + _TOKEN["phone"]
    return None


# --- Names ------------------------------------------------------------------------------------

# Words that stand where a name could but are not one: groups people greet, and the words a
# line after a sign-off starts with when no name follows.
_NOT_NAMES = frozenset(
    """
    team all everyone everybody folks guys people colleagues colleague friends friend sir sirs
    madam madame ladies gentlemen there you yall both again world support helpdesk help desk
    service servicedesk admin admins administrator administrators customer customers client
    clients user users expert experts expertdesk staff crew department dept management manager
    managers engineer engineers engineering operations ops security network infrastructure infra
    sales finance accounting marketing legal devops dev developers vendor partner partners owner
    owners analyst technician tech techs mates gang squad group company corp inc ltd gmbh llc
    the this that these those a an i we he she they it my our your his her their please pls also
    and but so if when after before since just still now then today yesterday tomorrow tonight
    sent from von to cc re fw fwd ps note update edit btw fyi attached attachment see any kind
    best regards thanks thank yes no ok okay sorry more some here what why how who where which
    can could would should did does do is are was has have had not get got good great morning
    afternoon evening day hello hi hey dear greetings monday tuesday wednesday thursday friday
    saturday sunday ticket issue problem error windows outlook office teams excel vpn server
    printer laptop password account mit viele beste liebe freundliche herzliche warm with many
    yours sincerely cheers danke gruß grüße merci cordialement saludos atentamente gracias
    """.split()
)
_CONNECTORS = frozenset({"and", "&", "und", "et", "y"})
_PARTICLES = frozenset(
    "van von de der den da di del della la le du dos das bin ibn al el ter ten zu".split()
)
_NAME_WORD = re.compile(r"[^\W\d_]++(?:['’\-][^\W\d_]++)*+|&")
_TITLE = re.compile(
    r"(?i:mr|mrs|ms|mx|miss|dr|prof|herr|frau|mme|mlle|sr|sra|srta|dott)\.?[ \t]+(?=[^\W\d_])"
)
_H_SPACE = re.compile(r"[ \t]+")
# What may follow a name that was announced on the same line.
_NAME_END = re.compile(
    r"[ \t]*(?:[,!:;.?|(/<>\[\"')\-–—]|\r?\n|\Z)|[ \t]+(?:from|at|of|in|here|and|und|&|@)(?!\w)"
)


def _is_name_like(word: str) -> bool:
    # All capitals is an acronym (IT, HR, NOC), not a name.
    return (
        len(word) > 1
        and word[0].isupper()
        and not word.isupper()
        and word.casefold() not in _NOT_NAMES
    )


def _name_span(text: str, start: int, *, strict: bool) -> tuple[int, str] | None:
    """Where a name announced at `start` ends, and what replaces text[start:end].

    Titles belong to the name (they tell gender), initials and particles (van, de) too;
    "John and Mary" stays two names. Same-line names (strict) must be followed by punctuation
    or the end of the line: "Hi Outlook keeps crashing" announces no one."""
    pos = start
    while (title := _TITLE.match(text, pos)) is not None and pos - start < 20:
        pos = title.end()
    parts: list[tuple[str, int, int]] = []  # (kind, start, end) of each word read
    accepted = 0
    while len(parts) < 6 and (word := _NAME_WORD.match(text, pos)) is not None:
        end = word.end()
        value = word.group()
        if len(value) == 1 and value.isupper() and text.startswith(".", end):
            kind, end = "name", end + 1  # an initial: "John D. Smith"
        elif _is_name_like(value):
            kind = "name"
        elif parts and parts[-1][0] == "name" and value.casefold() in _CONNECTORS:
            kind = "connector"
        elif parts and parts[-1][0] == "name" and value in _PARTICLES:
            kind = "particle"
        else:
            break
        parts.append((kind, word.start(), end))
        if kind == "name":
            accepted = len(parts)
        space = _H_SPACE.match(text, end)
        if space is None:
            break
        pos = space.end()
    parts = parts[:accepted]
    if not parts:
        return None
    end = parts[-1][2]
    if strict and _NAME_END.match(text, end) is None:
        return None
    out: list[str] = []
    for index, (kind, _, _) in enumerate(parts):
        if kind == "connector":
            out.append(text[parts[index - 1][2] : parts[index + 1][1]])
        elif not out or out[-1] != _TOKEN["name"]:
            out.append(_TOKEN["name"])
    return end, "".join(out)


# The name rules run on the text with a newline in front, so that "at the start of a line"
# is a literal newline the engine can jump to; the other place a greeting or sign-off
# starts is after the end of a sentence.
_LINE_START = r"(?:\n[ \t>]*+|\.[ \t]++|![ \t]++|\?[ \t]++)(?=[^\W\d_])"
_GREETING = re.compile(
    _LINE_START + r"(?i:hi|hello|hey|hiya|howdy|dear|good[ \t]+(?:morning|afternoon|evening"
    r"|day)|morning|greetings|hallo|moin|servus|guten[ \t]+(?:morgen|tag|abend)|liebe[rs]?"
    r"|sehr[ \t]+geehrte[rs]?|bonjour|salut|hola|buenos[ \t]+d[ií]as|buongiorno|ciao|hej|hoi"
    r"|ol[áa])(?:[ \t]*,)?[ \t]+"
)
_GRUESSE = r"gr(?:ü|ue|u)(?:ß|ss)e"
_SIGN_OFF = re.compile(
    _LINE_START + r"(?P<word>(?i:"
    r"(?:thanks|thank[ \t]+you)(?:[ \t]*(?:&|and)[ \t]*regards|[ \t]+(?:for|in|again|a[ \t]+lot"
    r"|so[ \t]+much)[^\n,!.?]{0,40})?"
    r"|many[ \t]+thanks|thx|thanx|cheers|danke|vielen[ \t]+dank|merci|gracias|obrigad[oa]"
    r"|(?:best|kind|warm(?:est)?|with[ \t]+(?:best|kind))[ \t]+regards|regards|rgds"
    r"|best[ \t]+wishes|all[ \t]+the[ \t]+best|best|sincerely(?:[ \t]+yours)?"
    r"|yours[ \t]+(?:sincerely|truly|faithfully)|respectfully|br|kr|greetings"
    rf"|mit[ \t]+freundlichen[ \t]+gr(?:ü|ue|u)(?:ß|ss)en|(?:freundliche|viele|beste|liebe"
    rf"|herzliche)[ \t]+{_GRUESSE}|{_GRUESSE}|gru(?:ß|ss)|mfg|lg|vg|cordialement"
    r"|bien[ \t]+[àa][ \t]+vous|saludos|un[ \t]+saludo|atentamente|cumprimentos))"
    r"(?P<gap>[ \t]*[,!.]?[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t>]*|[ \t]*[,!\-–—][ \t]*|[ \t]+)"
)
# Only these sign-offs run straight into a name without punctuation ("Thanks John!").
_BARE_SIGN_OFFS = ("thanks", "thank you", "thx", "cheers", "danke", "merci", "gracias")
_SIGNATURE = re.compile(r"\n--[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*")
_SIGNATURE_INLINE = re.compile(r"\n[ \t]*+(?:--|—|–)[ \t]*(?=[^\W\d_])")
_FIELD = re.compile(
    r"\n[ \t>]*+(?i:(?:full[ \t]+|display[ \t]+)?name|from|to|cc|bcc|reply-to|von|an)"
    r"[ \t]*:[ \t]*"
)
_INTRODUCTION = re.compile(
    _keywords(
        [
            r"my[ \t]+name[ \t]+is",
            r"contact(?:[ \t]+person)?",
            r"requested[ \t]+by",
            r"reported[ \t]+by",
            "caller",
            r"on[ \t]+behalf[ \t]+of",
            r"assigned[ \t]+to",
            r"escalated[ \t]+by",
        ]
    )
    + r"[ \t]*:?[ \t]*"
)


def _names_after(lead: re.Pattern[str], strict: Callable[[re.Match[str]], bool | None]) -> Rule:
    def rule(text: str, counts: Counter[str]) -> str:
        padded = "\n" + text
        out: list[str] = []
        last = 0
        while (match := lead.search(padded, last)) is not None:
            mode = strict(match)
            found = None if mode is None else _name_span(padded, match.end(), strict=mode)
            if found is None:
                # Searched again from the next character, not from the end of the match: the
                # line after "Danke." may itself be a sign-off ("Mit freundlichen Grüßen").
                last_try = match.start() + 1
                out.append(padded[last:last_try])
                last = last_try
                continue
            end, replacement = found
            out += [padded[last : match.end()], replacement]
            counts["name"] += replacement.count(_TOKEN["name"])
            last = end
        out.append(padded[last:])
        return "".join(out)[1:]

    return rule


def _sign_off_mode(match: re.Match[str]) -> bool | None:
    gap = match["gap"]
    if "\n" in gap:
        return False  # the line after a sign-off is the name line, whatever follows the name
    if gap.strip() or match["word"].casefold().startswith(_BARE_SIGN_OFFS):
        return True
    return None


_RULES: tuple[Rule, ...] = (
    _mask_private_keys,
    _regex_rule(_URL_CREDENTIALS, _url_credentials, needs="://"),
    _regex_rule(_AUTH_HEADER, _header_value),
    _regex_rule(_COOKIE_HEADER, _header_value),
    _regex_rule(_BEARER, _bearer_value),
    _regex_rule(_KNOWN_TOKENS, _token_replace),
    _regex_rule(_RECOVERY_KEYS, _recovery_key_replace, needs="-"),
    _regex_rule(_API_CREDENTIAL_VALUE, _value_replace("secret", _plausible_secret, 6)),
    _regex_rule(_LOGIN_CREDENTIAL_VALUE, _value_replace("password", _plausible_password, 3)),
    _regex_rule(_CLI_VALUE, _cli_replace, needs="-"),
    _regex_rule(_PIN, _pin_replace),
    _regex_rule(_EMAIL, _email_replace, needs="@"),
    _mask_ipv6,
    _regex_rule(_IPV4, _ipv4_replace, needs="."),
    _regex_rule(_CARD, _card_replace),
    _regex_rule(_PHONE, _phone_replace),
    _names_after(_GREETING, lambda _match: True),
    _names_after(_SIGN_OFF, _sign_off_mode),
    _names_after(_SIGNATURE, lambda _match: False),
    _names_after(_SIGNATURE_INLINE, lambda _match: True),
    _names_after(_FIELD, lambda _match: True),
    _names_after(_INTRODUCTION, lambda _match: True),
)
