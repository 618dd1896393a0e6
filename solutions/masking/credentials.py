"""Secrets: private keys, credentials in URLs and headers, tokens of known formats, bare
high-entropy keys, and values after a key word ("password: x", "the token is x", "new
password Summer2026!", "creds: admin/P@ss", "WLAN-Schlüssel lautet x")."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

from .base import (
    NOT_VALUES,
    TOKEN,
    TRAILING,
    Replace,
    Rule,
    Tally,
    expand,
    glued,
    is_placeholder,
    keywords,
    regex_rule,
    swap,
)

# --- Private keys -------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# A key pasted without its END line: its base64 and header lines, up to a blank line.
_PEM_TRUNCATED = re.compile(r"(?:\r?\n[A-Za-z0-9+/=:,\t -]++)*+")


def mask_private_keys(text: str, counts: Tally) -> str:
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
        out += [text[pos : begin.start()], TOKEN["secret"]]
        counts["secret"] += 1
        pos = stop
    out.append(text[pos:])
    return "".join(out)


# --- Credentials in URLs ------------------------------------------------------------------

# scheme://user:password@host; the user goes too, it is half of the credential. Anchored on
# "://" and the scheme checked afterwards, so that the search jumps from one URL to the next.
_URL_CREDENTIALS = re.compile(r"://(?P<cred>[^\s/?#@:\[\]<>\"']{0,256}:[^\s/?#<>\"']{1,256})@")
_SCHEME = re.compile(r"(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}\Z")


def _url_credentials(match: re.Match[str]) -> str | None:
    if _SCHEME.search(match.string, max(0, match.start() - 32), match.start()) is None:
        return None
    return swap(match, "cred", TOKEN["secret"])


# Incoming-webhook URLs carry their secret in the path: whoever has the URL can post as the
# integration. The host stays (it says which product); the path after the fixed prefix goes.
_WEBHOOK_URL = re.compile(
    r"(?P<head>"
    r"hooks\.slack\.com/(?:services|workflows|triggers)/"
    r"|\.webhook\.office\.com/webhookb2/"
    r"|outlook\.office(?:365)?\.com/webhook/"
    r"|discord(?:app)?\.com/api/webhooks/"
    r"|chat\.googleapis\.com/v1/spaces/"
    r"|api\.telegram\.org/bot"
    r"|hooks\.zapier\.com/hooks/(?:catch|standard)/"
    r"|maker\.ifttt\.com/trigger/[^\s/]{1,64}/with/key/"
    r")(?P<secret>[^\s\"'<>?#)\[\]]{6,512}+)"
)


def _webhook_url(match: re.Match[str]) -> str | None:
    return swap(match, "secret", TOKEN["secret"])


# Self-hosted chat (Mattermost, Rocket.Chat, Gitea, n8n): `/hooks/<token>` on any host, the
# token long and random.
_HOOK_PATH = re.compile(
    r"/(?i:hooks|webhooks?)/(?P<secret>[A-Za-z0-9_-]{20,256}+(?:/[A-Za-z0-9_-]{8,256}+)?)"
)


def _hook_path(match: re.Match[str]) -> str | None:
    token = match["secret"]
    if sum(ch.isdigit() for ch in token) < 2 or token.isdigit():
        return None
    return swap(match, "secret", TOKEN["secret"])


# Signed URLs and OAuth redirects carry secrets in query parameters.
_QUERY_SECRET = re.compile(
    r"[?&](?P<key>(?i:sig|signature|code|access_token|id_token|refresh_token|auth_token"
    r"|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature"
    r"|x-goog-credential|client_secret|api[_-]?key|apikey|key|token|secret|password|pwd"
    r"|sessionid|session_id|sid))=(?P<value>[^&#\s\"'<>]{6,2048}+)"
)


def _query_secret(match: re.Match[str]) -> str | None:
    value = match["value"]
    if is_placeholder(value) or value.casefold() in NOT_VALUES:
        return None
    return swap(match, "value", TOKEN["secret"])


# --- Headers and known token formats -----------------------------------------------------

_AUTH_HEADER = re.compile(
    r"[Aa](?<![^\W_].)(?i:uthorization)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?i:bearer|basic|digest|negotiate|ntlm|token|bot|apikey|sharedkey|aws4-hmac-sha256)"
    r"[ \t]+)?(?P<value>[^\s\"'][^\r\n\"']*)"
)
_COOKIE_HEADER = re.compile(r"[Cc](?<![^\W_].)(?i:ookie)[ \t]*:[ \t]*(?P<value>[^\s][^\r\n]*)")
_BEARER = re.compile(r"[Bb](?<![^\W_].)(?i:earer)[ \t]+(?P<value>[A-Za-z0-9._~+/=-]{8,}+)")


def _header_value(match: re.Match[str]) -> str | None:
    value = match["value"].rstrip()
    if is_placeholder(value.split()[0]) or value.casefold() in NOT_VALUES:
        return None
    start = match.start("value") - match.start()
    whole = match.group()
    return whole[:start] + TOKEN["secret"] + whole[start + len(value) :]


def _bearer_value(match: re.Match[str]) -> str | None:
    value = match["value"]
    # "Bearer authentication" is prose; a token has digits or is long.
    if len(value) < 20 and not any(ch.isdigit() for ch in value):
        return None
    return swap(match, "value", TOKEN["secret"])


# Each alternative starts with its own literal (see the package docstring).
_KNOWN_TOKENS = re.compile(
    r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA|SCA)[A-Z0-9]{16}"  # AWS access key ids
    r"|AIza[\w-]{35}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{20,255}+"  # GitHub
    r"|github_pat_\w{20,255}+"
    r"|glpat-[\w-]{20,}+"  # GitLab
    r"|xox[abposre]-[A-Za-z0-9-]{10,}+"  # Slack
    r"|xapp-[A-Za-z0-9-]{10,}+"
    r"|sk_(?:live|test)_[A-Za-z0-9]{10,}+"  # Stripe
    r"|rk_(?:live|test)_[A-Za-z0-9]{10,}+"
    r"|pk_(?:live|test)_[A-Za-z0-9]{10,}+"
    r"|whsec_[A-Za-z0-9]{10,}+"
    r"|sk-(?:proj-|ant-)?[\w-]{20,}+"  # OpenAI- and Anthropic-style
    r"|eyJ[\w-]{5,}+\.eyJ[\w-]{5,}+\.[\w-]*+"  # JWT: header.payload.signature
    r"|npm_[A-Za-z0-9]{36}"
    r"|pypi-[\w-]{50,}+"
    r"|SG\.[\w-]{16,}+\.[\w-]{16,}+"  # SendGrid
    r"|hf_[A-Za-z0-9]{30,}+"  # Hugging Face
    r"|dop_v1_[a-f0-9]{64}"  # DigitalOcean
    r"|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"  # Shopify
    r"|AC[a-f0-9]{32}"  # Twilio account SID
    r"|(?:sq0atp|sq0csp|EAAA)[\w-]{22,}+"  # Square
    r"|ya29\.[\w-]{20,}+"  # Google OAuth access tokens
    r"|ATATT3[\w=-]{20,}+"  # Atlassian API tokens
    r"(?![\w-])"
)
# BitLocker recovery keys, and Windows product keys (with a digit, so no dashed words).
_RECOVERY_KEYS = re.compile(
    r"[0-9A-Z](?:(?<=[0-9])[0-9]{5}(?:-[0-9]{6}){7}|[0-9A-Z]{4}(?:-[0-9A-Z]{5}){4})(?![\w-])"
)


# BitLocker recovery keys written with spaces: eight groups of six digits, each a multiple of
# 11 (how BitLocker builds them), so a table of numbers stays.
_BITLOCKER_SPACED = re.compile(r"[0-9](?<![\w.-].)[0-9]{5}(?:[ \t][0-9]{6}){7}(?![\w.-])")


def _bitlocker_replace(match: re.Match[str]) -> str | None:
    groups = match.group().split()
    return TOKEN["secret"] if all(int(g) % 11 == 0 for g in groups) else None


# One-time codes listed under a heading: "MFA backup codes:\n8473 2910\n5521 0387".
_CODE_HEADS = keywords(
    [
        *expand(
            [
                r"(?:backup|recovery|mfa|2fa|otp|totp|verification|wiederherstellungs|notfall"
                r"|sicherungs)[ \t-]?(?:codes?|keys?|passcodes?)"
            ]
        ),
        r"one[ -]time[ \t]+(?:codes?|passcodes?|passwords?)",
        r"codes?[ \t]+de[ \t]+(?:secours|r(?:é|e)cup(?:é|e)ration)",
    ]
)
_CODE_LINE = (
    r"[ \t]*(?:[0-9]{1,2}[.)][ \t]*|[-*•][ \t]*)?[A-Za-z0-9]{3,10}(?:[ -][A-Za-z0-9]{3,10})?"
    r"[ \t]*(?:\r?\n|\Z)"
)
_CODE_LIST = re.compile(
    rf"(?P<head>{_CODE_HEADS}[^\n]{{0,40}}\n)(?P<codes>(?:{_CODE_LINE}){{1,20}})"
)
_CODE = re.compile(r"[A-Za-z0-9]{3,10}(?:[ -][A-Za-z0-9]{3,10})?(?=[ \t]*(?:\r?\n|\Z))")


# The same codes on one line: "backup codes in case you need them: 8841-2207 5530-1196".
_CODE_LIST_INLINE = re.compile(
    rf"(?P<head>{_CODE_HEADS}[^\n:]{{0,40}}:[ \t]*)"
    r"(?P<codes>[A-Za-z0-9]{3,10}(?:-[A-Za-z0-9]{3,10})?(?:[ \t,;]+[A-Za-z0-9]{3,10}"
    r"(?:-[A-Za-z0-9]{3,10})?){1,19})"
)
_INLINE_CODE = re.compile(r"[A-Za-z0-9]{3,10}(?:-[A-Za-z0-9]{3,10})?")


def _code_list_inline(match: re.Match[str]) -> str | None:
    codes = match["codes"]
    if sum(ch.isdigit() for ch in codes) < 6:
        return None
    return match["head"] + _INLINE_CODE.sub(TOKEN["secret"], codes)


def _code_list(match: re.Match[str]) -> str | None:
    codes = match["codes"]
    if not any(ch.isdigit() for ch in codes):
        return None
    return match["head"] + _CODE.sub(TOKEN["secret"], codes)


def _token_replace(match: re.Match[str]) -> str | None:
    return None if glued(match) else TOKEN["secret"]


def _recovery_key_replace(match: re.Match[str]) -> str | None:
    if glued(match) or not any(ch.isdigit() for ch in match.group()):
        return None
    return TOKEN["secret"]


# A bare key with no key word and no known prefix, such as an AWS secret access key pasted on
# its own line: a long run of base64 characters that changes character class like random
# text does. Hex (hashes, commit ids) stays: it never mixes cases. Paths and identifiers stay:
# they change class rarely ("AbstractBeanFactory", "/home/app/src/main").
_BARE_KEY = re.compile(r"[A-Za-z0-9+/](?<![\w+/=.-].)[A-Za-z0-9+/=_-]{31,511}+(?![\w+/=.-])")


def _class_of(ch: str) -> int:
    return 0 if ch.islower() else 1 if ch.isupper() else 2 if ch.isdigit() else 3


def looks_random(value: str) -> bool:
    """Whether `value` reads like generated key material rather than words or a path."""
    lower = sum(ch.islower() for ch in value)
    upper = sum(ch.isupper() for ch in value)
    digits = sum(ch.isdigit() for ch in value)
    if min(lower, upper) < 2 or digits < 1 or value.startswith("/"):
        return False
    switches = sum(_class_of(a) != _class_of(b) for a, b in zip(value, value[1:], strict=False))
    if switches / (len(value) - 1) < 0.35:
        return False
    freq = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in freq.values())
    return entropy >= 3.8


def _bare_key(match: re.Match[str]) -> str | None:
    return TOKEN["secret"] if looks_random(match.group()) else None


# --- Values after key words ----------------------------------------------------------------

_API_CREDENTIAL_KEYS = (
    r"api[ _-]?(?:key|token|secret)",
    "apikey",
    r"(?:access|auth|refresh|bearer|csrf|sas|oauth)[ _-]?token",
    r"personal[ _-]?access[ _-]?token",
    r"id[ _-]?token",
    r"session[ _-]?(?:token|key|id|cookie)",
    "token",
    "secret",
    r"secret[ _-]?(?:access[ _-]?)?key",
    r"(?:client|app|consumer|webhook|shared|jwt|signing|hmac)[ _-]?secret",
    r"(?:private|account|subscription|product|recovery|encryption|signing|master|storage"
    r"|instrumentation|deploy|ssh|gpg|hmac|license|licence|activation)[ _-]?key",
    r"shared[ _-]?access[ _-]?key",
    r"access[ _-]?key(?:[ _-]?id)?",
    r"pre-?shared[ _-]?key",
    "psk",
    "sig",
    r"(?:2fa|mfa|otp|totp|backup|recovery)[ _-]?(?:code|codes|secret|seed)",
    "credentials?",
)
# Keys whose value is a password: prose in several languages, Wi-Fi keys included.
_LOGIN_CREDENTIAL_KEYS = (
    "password",
    # Misspelt as people type it.
    r"pass?wo?r?d",
    r"passowrd",
    r"passwrod",
    r"pasw(?:oo)?rd",
    "passwort",
    "passwd",
    "kennwort",
    "passphrase",
    "passcode",
    "pwd",
    "pw",
    "pass",
    r"mot[ \t]+de[ \t]+passe",
    r"mdp",
    r"contrase(?:ñ|n)a",
    r"clave",
    r"senha",
    r"wachtwoord",
    r"l(?:ö|o)senord",
    r"has(?:ł|l)o",
    r"heslo",
    r"salasana",
    r"wi-?fi[ _-]?(?:key|code|pass|sleutel|schl(?:ü|ue)ssel)",
    *(
        f"{word}[ _-]?(?:du[ \t]+|de[ \t]+|do[ \t]+|del[ \t]+)?wi-?fi"
        for word in ("code", "clave", "chave", "cl(?:é|e)")
    ),
    r"wlan[ _-]?(?:key|code|schl(?:ü|ue)ssel)",
    r"wpa[23]?(?:[ _-]?psk)?[ _-]?(?:key|passphrase)",
    r"(?:network|security|wireless)[ _-]?key",
    r"netzwerkschl(?:ü|ue)ssel",
    r"sicherheitsschl(?:ü|ue)ssel",
    r"cl(?:é|e)[ _-]?(?:wifi|wi-fi|wpa|wlan|r(?:é|e)seau)",
    # `netsh wlan show profile … key=clear` prints the key as "Key Content".
    r"key[ \t]+content",
    r"schl(?:ü|ue)sselinhalt",
    r"contenu[ \t]+de[ \t]+la[ \t]+cl(?:é|e)",
    r"contenido[ \t]+de[ \t]+la[ \t]+clave",
)
# Keys short or common enough ("pass", "pw", "clave") that only a colon, an equals sign or a
# value that really looks like a password makes the next word a password.
_WEAK_KEYS = frozenset({"pass", "mdp", "psk", "sig"})

# How a key word is tied to its value, from the strongest tie to the weakest:
# "password: x", "password is x", "password - x", "password x".
_SEP_ASSIGN = r"[\"']?[ \t]*(?:=>|:=|[:=])[ \t]*"
_SEP_VERB = (
    r"[ \t]+(?i:is|was|ist|lautet|est|es|era|é|è|sera|wird|er|är|jest|wordt|will[ \t]+be"
    r"|would[ \t]+be"
    r"|should[ \t]+be|must[ \t]+be)(?:[ \t]+(?i:now|still|currently|jetzt|nun|actuellement"
    r"|ahora|temporarily|temporär|temporaire))?[ \t]*:?[ \t]+"
)
_SEP_SET_TO = (
    r"[ \t]+(?i:(?:(?:has[ \t]+been|was|is|got|wurde|ist)[ \t]+)?(?:set|changed|reset|updated"
    r"|rotated|geändert|gesetzt|zurückgesetzt|changé|cambiada))[ \t]+(?i:to|auf|à|a|en)[ \t]+"
)
_SEP_TO = r"[ \t]+(?i:to)[ \t]+"
_SEP_DASH = r"[ \t]*(?:-{1,2}>?|–|—|->|→)[ \t]*"
_SEP_BARE = r"[ \t]+"


def _key_value(keys: Iterable[str]) -> re.Pattern[str]:
    # "password for the VPN is x", "token of user jdoe: x", "Passwort für das WLAN: x": after
    # such a clause only a colon or a verb ties the value; "password for the VPN" is prose.
    purpose = (
        r"[ \t]+(?i:for|of|on|to|für|fürs|vom|von|pour|de|du|para|del)[ \t]+"
        r"[^\s:=,;]{1,40}(?:[ \t]+[^\s:=,;]{1,40}){0,4}?"
    )
    return re.compile(
        rf"(?P<key>{keywords(expand(keys), camel_case=True)})(?!-\w)"
        rf"(?P<sep>(?:{purpose})?(?:(?P<assign>{_SEP_ASSIGN})|(?P<verb>{_SEP_VERB}|{_SEP_SET_TO}))"
        rf"|(?P<loose>{_SEP_TO}|{_SEP_DASH}|{_SEP_BARE}))"
        r"(?P<q>[\"'`])?(?P<value>(?(q)[^\"'`\r\n]{1,512}|[^\s\"'<>`]++))"
    )


_API_CREDENTIAL_VALUE = _key_value(_API_CREDENTIAL_KEYS)
_LOGIN_CREDENTIAL_VALUE = _key_value(_LOGIN_CREDENTIAL_KEYS)


def split_value(match: re.Match[str]) -> tuple[str, str]:
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
    core = value.rstrip(TRAILING)
    # A trailing "!" or "?" ends the sentence unless the value has other symbols or digits.
    if core.endswith(("!", "?")) and core[:-1].isalpha():
        core = core.rstrip("!?")
    return core, value[len(core) :]


# Looks technical, not secret: versions, sizes, hash and protocol names, flags, paths.
_TECHNICAL = re.compile(
    r"v?[0-9]+(?:\.[0-9]+)+[\w.-]*|[0-9]+(?:\.[0-9]+)?[+%]?|[0-9]+(?:[a-z]{1,5})"
    r"|(?i:sha-?(?:1|224|256|384|512)|md5|aes-?(?:128|256)|rsa-?\d+|utf-?8|2fa|mfa|otp|totp"
    r"|hotp|u2f|fido2?|oauth2?|saml2?|ntlmv?2|kerberos5?|ldaps?|wpa[23]?|wep|802\.1x|tls1\.\d"
    r"|x509|pkcs\d*|base64|bcrypt|scrypt|argon2\w*|pbkdf2\w*|win\d+|w\d+|ad\d*|o365|m365)"
    r"|[-/\\~.$%{<(\[].*|.*[/\\].*|https?:.*|[A-Za-z]+(?:\.[A-Za-z]+)+"
)


def looks_like_password(core: str) -> bool:
    """A value with no colon or verb before it: only what real passwords look like (letters
    with digits or symbols, or a long number), never a word, a version or a path."""
    if not 4 <= len(core) <= 64 or _TECHNICAL.fullmatch(core):
        return False
    letters = sum(ch.isalpha() for ch in core)
    digits = sum(ch.isdigit() for ch in core)
    symbols = len(core) - letters - digits
    if letters == 0:
        return digits >= 6 and symbols == 0
    return digits + symbols > 0


def _plausible_password(core: str, quoted: bool) -> bool:
    folded = core.casefold()
    # "the password is expired / failing / correctly set" describes it rather than gives it.
    return quoted or not (core.isalpha() and folded.endswith(("ed", "ing", "ly")))


def _plausible_secret(core: str, quoted: bool) -> bool:
    return quoted or (len(core) >= 8 and any(ch.isdigit() for ch in core))


def _value_replace(kind: str, in_prose: Callable[[str, bool], bool], min_length: int) -> Replace:
    def replace(match: re.Match[str]) -> str | None:
        if is_placeholder(match["value"]):
            return None
        core, tail = split_value(match)
        if len(core) < min_length or core.casefold() in NOT_VALUES:
            return None
        quoted = bool(match["q"])
        weak = match["key"].casefold() in _WEAK_KEYS
        if match["verb"] is not None:
            # "the password is x": x is the password unless it describes it ("is expired").
            if weak and not looks_like_password(core):
                return None
            if not in_prose(core, quoted) or (core.isalpha() and len(core) <= 3):
                return None
        elif match["loose"] is not None:
            # "password - x", "password x", "password to x": only a value that looks like one.
            if weak or not (quoted or looks_like_password(core)):
                return None
            if not quoted and not in_prose(core, quoted):
                return None
        return swap(match, "value", TOKEN[kind] + tail)

    return replace


_PAIR_KEY_WORDS = (
    r"(?i:pw|pwd|pass|password|passwort|kennwort|mot[ \t]+de[ \t]+passe|mdp|clave"
    r"|contrase(?:ñ|n)a|senha|wachtwoord)(?![^\W_])"
)
# "creds: admin/P@ss", "login admin / Summer2026!", "user jdoe pw Spring24", "Zugangsdaten:
# max / geheim123". The user name stays (experts need to know which account), the password goes.
_CREDENTIAL_PAIR = re.compile(
    r"(?P<key>"
    + keywords(
        [
            "creds",
            "credentials",
            "login",
            "logon",
            r"sign[ -]?in",
            r"user(?:name)?",
            "account",
            r"benutzer(?:name)?",
            "zugangsdaten",
            "anmeldedaten",
            "identifiants",
            "usuario",
            "zugang",
            r"acc(?:è|e)s",
            "acceso",
            *(
                f"{account}[ \t]*/[ \t]*(?:pw|pwd|pass(?:word)?|p|passwort|kennwort)"
                for account in ("login", "user(?:name)?", "u", "benutzer")
            ),
        ]
    )
    + r")(?P<sep1>[ \t]*(?:[:=-]|(?i:is|are|sind|sont|son))?[ \t]*)"
    r"(?P<user>[\w\\][^\s/:|,;\"'<>()\[\]]{0,63}?)"
    rf"(?P<sep2>[ \t]*(?:/|\||:|,)[ \t]*(?:{_PAIR_KEY_WORDS}[ \t]*[:=]?[ \t]*)?"
    rf"|[ \t]+{_PAIR_KEY_WORDS}[ \t]*[:=]?[ \t]*|[ \t]+(?i:and|und|et|y)[ \t]+)"
    r"(?P<value>[^\s\"'<>]{3,128}+)"
)
_STRONG_PAIR_KEYS = ("creds", "credentials", "zugangsdaten", "anmeldedaten", "identifiants")


def _credential_pair(match: re.Match[str]) -> str | None:
    core = match["value"].rstrip(TRAILING)
    tail = match["value"][len(core) :]
    if is_placeholder(match["value"]) or is_placeholder(match["user"]):
        return None
    if core.casefold() in NOT_VALUES or match["user"].casefold() in NOT_VALUES:
        return None
    key = match["key"].casefold()
    strong = key.startswith(_STRONG_PAIR_KEYS)
    named = "/" in key or re.search(_PAIR_KEY_WORDS, match["sep2"])
    if not (strong or named) and not looks_like_password(core):
        return None
    if strong and not named and len(core) < 4 and not looks_like_password(core):
        return None
    return swap(match, "value", TOKEN["password"] + tail)


# "administrator / Adm!n-2024", "log in with helpdesk:Spr1ng-Cl3an": an account name that is
# obviously one, then a value that looks like a password. With a colon only the well-known
# account names count ("file.txt:Zone.Identifier" is not a login).
_ACCOUNT_NAMES = keywords(
    [
        r"admin(?:istrator|istrador|istrateur)?\d*",
        "root",
        "sa",
        "sysadmin",
        "superuser",
        "guest",
        "operator",
        "support",
        "service",
        "helpdesk",
        "demo",
        "ubnt",
        "pi",
        "manager",
        "monitor",
        "backup",
        r"svc[\w.-]*",
        r"service[_.-][\w.-]+",
        r"test(?:user)?\d*",
        r"user\d*",
        r"ftp\w*",
        r"sql\w*",
        r"db\w*",
        r"api[_.-]\w+",
        r"kiosk\w*",
        r"scan\w*",
        r"print\w*",
    ]
)
_ACCOUNT_PAIR = re.compile(
    rf"(?P<user>{_ACCOUNT_NAMES})"
    r"(?:(?P<slash>[ \t]*/[ \t]*)|(?P<colon>:))"
    r"(?P<value>[^\s\"'<>]{4,128}+)"
)


def _account_pair(match: re.Match[str]) -> str | None:
    if glued(match, "_-.\\/@:="):
        return None  # part of a path, a host name or an e-mail address
    core = match["value"].rstrip(TRAILING)
    if is_placeholder(match["value"]) or core.casefold() in NOT_VALUES:
        return None
    if not looks_like_password(core):
        return None
    return swap(match, "value", TOKEN["password"] + match["value"][len(core) :])


_CLI_VALUE = re.compile(
    r"-(?<![\w-]-)-?(?P<key>(?i:(?:[a-z0-9]+-){0,3}[a-z]{0,12}(?:password|passwd|pass|pwd|token|secret"
    r"|api-?key|client-secret|access-key|secret-key|auth-token|access-token|passphrase)))"
    r"(?P<sep>[ \t]+|=)(?P<q>[\"'])?(?P<value>(?(q)[^\"'\r\n]{1,512}|[^\s\"'<>;&]++))"
)
# Short flags that take a password in the commands that read one there: `mysql -pSecret`,
# `redis-cli -a Secret`, `sqlcmd -U sa -P Secret`, `ldapsearch -w Secret`; `ssh -p 2222` is a
# port, so the command on the line decides.
_CLI_SHORT = re.compile(
    r"(?P<key>(?<![\w-])-[pPaw])(?P<sep>[ \t]*)(?P<q>[\"'])?(?P<value>(?(q)[^\"'\r\n]{1,512}"
    r"|[^\s\"'<>;&|-][^\s\"'<>;&|]*+))"
)
_PASSWORD_FLAGS = {
    "-p": (
        "mysql",
        "mariadb",
        "mysqldump",
        "mysqladmin",
        "sshpass",
        "mongo",
        "mongosh",
        "7z",
        "psexec",
        "paexec",
        "winrs",
    ),
    "-P": ("sqlcmd", "bcp", "osql", "zip", "unzip"),
    "-a": ("redis-cli",),
    "-w": ("ldapsearch", "ldapmodify", "ldapadd", "ldapdelete", "ldappasswd", "ldapwhoami"),
}
# `curl -u user:pass`, `--user user:pass`, `smbclient -U user%pass`, `openssl -passin pass:x`.
_CLI_USER_PASS = re.compile(
    r"(?P<key>(?<![\w-])(?:-u|--user|--proxy-user|-U)[ \t=]+[\"']?[^\s:%\"']{1,64}[:%])"
    r"(?P<value>[^\s\"']{1,256}+)"
    r"|(?P<okey>(?<![\w-])-pass(?:in|out|word)?[ \t]+pass:)(?P<ovalue>[^\s\"']{1,256}+)"
)
_NET_USER = re.compile(
    r"[Nn](?<![\w-].)(?i:et[ \t]+user)[ \t]+(?P<user>[^\s/]++)[ \t]+(?P<value>[^\s/*][^\s]*+)"
)
_NET_USE = re.compile(
    r"[Nn](?<![\w-].)(?i:et[ \t]+use)[ \t]+(?:[A-Za-z]:[ \t]+)?\\\\[^\s]++[ \t]+"
    r"(?P<value>[^\s/*][^\s]*+)"
)
# `htpasswd -b[c] FILE USER PASSWORD`: the password is the last argument.
_HTPASSWD = re.compile(
    r"h(?<![\w-].)tpasswd[ \t]+(?:-[a-zA-Z]*[ \t]+)*?-[a-zA-Z]*b[a-zA-Z]*[ \t]+"
    r"(?:-[a-zA-Z]+[ \t]+)*[^\s]+[ \t]+[^\s]+[ \t]+(?P<value>[^\s]+)"
)
# ~/.pgpass lines: host:port:database:user:password.
_PGPASS = re.compile(
    r"[A-Za-z0-9*](?<![\w.:-].)[\w.*-]{0,252}:(?:[0-9]{2,5}|\*):[\w.*-]{1,63}:[\w.*@-]{1,63}:"
    r"(?P<value>[^\s:]{3,256})(?=\s|\Z)"
)
# Go and other DSNs without a scheme: user:password@tcp(host:3306)/db.
_DSN = re.compile(
    r"[\w.-](?<![\w.-].)[\w.-]{0,63}:(?P<value>[^\s@:/\"']{1,256})@(?=(?:tcp|udp|unix)\()"
)
# A quoted key that names a secret, then its quoted value: PHP's define('DB_PASSWORD', 'x'),
# 'password' => 'x', os.environ["API_TOKEN"] = "x", ["password"] = "x".
_QUOTED_PAIR = re.compile(
    r"(?P<q1>[\"'])(?P<key>[\w.-]{0,40}(?i:password|passwd|pwd|secret|token|api_?key|apikey"
    r"|passphrase|private_?key|access_?key)[\w.-]{0,40})(?P=q1)[ \t]*(?:\][ \t]*)?"
    r"(?:,|=>|:|=)[ \t]*(?P<q2>[\"'])(?P<value>[^\"'\r\n]{1,512})(?P=q2)"
)
# XML elements named for a secret: <Password>x</Password>, and unattend.xml's
# <AdministratorPassword><Value>x</Value>.
_XML_SECRET = re.compile(
    r"<(?P<tag>[\w:.-]{0,40}(?i:password|passwd|pwd|secret|token|apikey|api_key|passphrase"
    r"|privatekey|accesskey)[\w:.-]{0,40})(?:[ \t][^<>]{0,200})?>"
    r"(?P<gap>[ \t\r\n]{0,40}(?:<(?i:value)>)?)(?P<value>[^<\s][^<]{0,511})(?=<)"
)


def _xml_secret(match: re.Match[str]) -> str | None:
    value = match["value"].rstrip()
    if (
        is_placeholder(value)
        or value.casefold() in NOT_VALUES
        or value.casefold()
        in (
            "true",
            "false",
        )
    ):
        return None
    start = match.start("value") - match.start()
    whole = match.group()
    return whole[:start] + TOKEN[_secret_kind(match)] + whole[start + len(value) :]


# On a line about Wi-Fi, the word "key" (in any language) with a colon gives the key:
# "WLAN für Patienten: Praxis-Gast, Schlüssel: Zahnarzt2024Gast".
_WIFI_LINE = re.compile(
    r"(?im)^(?P<head>[^\n]{0,120}?(?:wi-?fi|wlan|ssid|wpa2?|hotspot|wireless)[^\n]{0,80}?"
    r"(?<![^\W_])(?:schl(?:ü|ue)ssel|key|code|clave|cl(?:é|e)|chave|sleutel|n(?:ø|o)gle"
    r"|nyckel|avain|kennwort|pass|pw)[ \t]*[:=][ \t]*)(?P<value>[^\s,;]{4,64})"
)


def _wifi_line(match: re.Match[str]) -> str | None:
    core = match["value"].rstrip(TRAILING)
    if is_placeholder(match["value"]) or core.casefold() in NOT_VALUES:
        return None
    if not looks_like_password(core) and not (len(core) >= 8 and core.isalpha()):
        return None
    return match["head"] + TOKEN["password"] + match["value"][len(core) :]


# A password that stands a few words after the word, set apart in brackets or quotes, or
# shaped like one with a symbol: "the temporary password I was given (Temp-4471-Xq)", "new
# password 👉 Palmtree#88".
_NEARBY_PASSWORD = re.compile(
    r"(?P<head>"
    + keywords(
        ["password", "passwort", "kennwort", r"mot[ \t]+de[ \t]+passe", "contraseña", "pass", "pw"]
    )
    + r"(?P<gap>(?:[ \t]+[^\s]{1,20}){0,6}?[ \t]+))"
    # A digit in the value, so the search skips the words in between instead of taking one.
    r"(?P<open>[(\"'“«`])?(?=[^\s)\"'”»`]{0,63}[0-9])(?P<value>[^\s)\"'”»`]{4,64})"
    r"(?(open)[)\"'”»`])"
)


def _nearby_password(match: re.Match[str]) -> str | None:
    value = match["value"]
    core = value.rstrip(TRAILING)
    if is_placeholder(value) or core.casefold() in NOT_VALUES or _TECHNICAL.fullmatch(core):
        return None
    if re.search(r"[.!?;:=]([ \t]|\Z)", match["gap"]):
        return None  # past the end of the sentence, or a value tied by ":" (other rules)
    symbols = sum(not ch.isalnum() for ch in core)
    letters = sum(ch.isalpha() for ch in core)
    digits = sum(ch.isdigit() for ch in core)
    enclosed = match["open"] is not None
    strong = letters and digits and symbols and any(ch.isupper() for ch in core)
    if not ((enclosed and looks_like_password(core)) or strong):
        return None
    start = match.start("value") - match.start()
    whole = match.group()
    return whole[:start] + TOKEN["password"] + whole[start + len(core) :]


# PowerShell: ConvertTo-SecureString "Secret" -AsPlainText.
_SECURE_STRING = re.compile(
    r"C(?<![\w-].)(?i:onvertTo-SecureString)[ \t]+(?:-String[ \t]+)?(?P<q>[\"'])"
    r"(?P<value>[^\"'\r\n]{1,512})(?P=q)"
)
# Wi-Fi QR codes: WIFI:S:<ssid>;T:WPA;P:<password>;;
_WIFI_QR = re.compile(
    r"W(?<![\w-].)IFI:(?:[STHE]:(?:\\.|[^;\\]){0,64};){0,4}P:(?P<value>(?:\\.|[^;\\]){1,128})"
)
# <add key="SmtpPassword" value="x"/>, {"name": "DB_PASSWORD", "value": "x"}, and a YAML env
# entry `- name: API_TOKEN` with `value: x` on the next line.
_SENSITIVE_SETTINGS = (
    r"[\w.-]{0,40}(?i:password|passwd|pwd|secret|token|apikey|api_key|api-key|credential"
    r"|accesskey|access_key|privatekey|private_key|passphrase)[\w.-]{0,40}"
)
_CONFIG_ATTRIBUTE = re.compile(
    rf"(?P<attr>[kKnN](?<![\w-].)(?i:ey|ame))[\"']?[ \t]*[=:][ \t]*[\"']?"
    rf"(?P<setting>{_SENSITIVE_SETTINGS})[\"']?"
    r"[ \t]*,?[ \t]*(?:\r?\n[ \t-]{0,40})?(?i:value)[\"']?[ \t]*[=:][ \t]*(?P<q>[\"'])?"
    r"(?P<value>(?(q)[^\"'\r\n]{1,512}|[^\s\"'<>,}]{1,512}))"
)


def _secret_kind(match: re.Match[str]) -> str:
    """A value named for a password is a `[password]`, for a key or token a `[secret]`."""
    name = next((match[g] for g in ("key", "tag", "setting") if g in match.re.groupindex), None)
    if name is None:
        return "password"
    return "password" if re.search(r"(?i:pass|pwd)", name) else "secret"


def _quoted_value(match: re.Match[str]) -> str | None:
    value = match["value"]
    if is_placeholder(value) or value.casefold() in NOT_VALUES or value.startswith("$"):
        return None
    return swap(match, "value", TOKEN[_secret_kind(match)])


def _cli_user_pass(match: re.Match[str]) -> str | None:
    group = "value" if match["value"] is not None else "ovalue"
    value = match[group]
    if is_placeholder(value) or value.startswith("$"):
        return None
    return swap(match, group, TOKEN["password"])


_PIN = re.compile(
    r"(?P<key>[Pp](?<![\w-].)(?i:in|uk)(?:[ \t-]?(?i:code))?)"
    r"(?P<sep>[ \t]*(?:[:=]|(?i:is|was|ist|lautet))?[ \t]*)(?P<value>[0-9]{4,8})"
    r"(?!\w|[.,:/-][0-9])"
)


def _cli_replace(match: re.Match[str]) -> str | None:
    if is_placeholder(match["value"]):
        return None
    core, tail = split_value(match)
    if core.startswith(("-", "(", "$")) or core.casefold() in NOT_VALUES:
        return None
    key = match["key"].casefold()
    kind = "password" if "pass" in key or "pwd" in key else "secret"
    return swap(match, "value", TOKEN[kind] + tail)


def _cli_short_replace(match: re.Match[str]) -> str | None:
    line_start = match.string.rfind("\n", 0, match.start()) + 1
    command = match.string[line_start : match.start()].casefold()
    tools = _PASSWORD_FLAGS.get(match["key"], ())
    if not any(re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", command) for tool in tools):
        return None
    if is_placeholder(match["value"]):
        return None
    core, tail = split_value(match)
    if core.isdigit() and not match["q"] or len(core) < 3:
        return None
    return swap(match, "value", TOKEN["password"] + tail)


def _net_user_replace(match: re.Match[str]) -> str | None:
    core = match["value"].rstrip(TRAILING)
    if is_placeholder(match["value"]) or core.casefold() in NOT_VALUES or core.startswith("/"):
        return None
    return swap(match, "value", TOKEN["password"] + match["value"][len(core) :])


def _pin_replace(match: re.Match[str]) -> str | None:
    key, sep = match["key"], match["sep"]
    # "PIN 1234" is a PIN; "pin 1234" of a connector is not, unless the text says so.
    announced = key[:3].isupper() or "code" in key.casefold() or sep.strip()
    return swap(match, "value", TOKEN["password"]) if announced else None


RULES: tuple[Rule, ...] = (
    mask_private_keys,
    regex_rule(_URL_CREDENTIALS, _url_credentials, needs="://"),
    regex_rule(_WEBHOOK_URL, _webhook_url),
    regex_rule(_HOOK_PATH, _hook_path, needs="/"),
    regex_rule(_QUERY_SECRET, _query_secret, needs="="),
    regex_rule(_AUTH_HEADER, _header_value),
    regex_rule(_COOKIE_HEADER, _header_value),
    regex_rule(_BEARER, _bearer_value),
    regex_rule(_KNOWN_TOKENS, _token_replace),
    regex_rule(_RECOVERY_KEYS, _recovery_key_replace, needs="-"),
    regex_rule(_BITLOCKER_SPACED, _bitlocker_replace),
    regex_rule(_CODE_LIST, _code_list),
    regex_rule(_CODE_LIST_INLINE, _code_list_inline),
    regex_rule(_XML_SECRET, _xml_secret, needs="<"),
    regex_rule(_QUOTED_PAIR, _quoted_value),
    regex_rule(_PGPASS, _quoted_value, needs=":"),
    regex_rule(_DSN, _quoted_value, needs="@"),
    regex_rule(_HTPASSWD, _quoted_value, needs="htpasswd"),
    regex_rule(_SECURE_STRING, _quoted_value),
    regex_rule(_WIFI_QR, _quoted_value, needs="IFI:"),
    regex_rule(_CONFIG_ATTRIBUTE, _quoted_value),
    regex_rule(_CLI_USER_PASS, _cli_user_pass, needs="-"),
    regex_rule(_CREDENTIAL_PAIR, _credential_pair),
    regex_rule(_API_CREDENTIAL_VALUE, _value_replace("secret", _plausible_secret, 6)),
    regex_rule(_LOGIN_CREDENTIAL_VALUE, _value_replace("password", _plausible_password, 3)),
    regex_rule(_CLI_VALUE, _cli_replace, needs="-"),
    regex_rule(_CLI_SHORT, _cli_short_replace, needs="-"),
    regex_rule(_NET_USER, _net_user_replace),
    regex_rule(_NET_USE, _net_user_replace),
    regex_rule(_ACCOUNT_PAIR, _account_pair),
    regex_rule(_WIFI_LINE, _wifi_line),
    regex_rule(_NEARBY_PASSWORD, _nearby_password),
    regex_rule(_PIN, _pin_replace),
    regex_rule(_BARE_KEY, _bare_key),
)
