"""Reading a received e-mail: MIME with the standard `email` package (policy.default), the
text a person wrote (HTML converted to text and sanitized, quoted replies and signatures
stripped), the attachments, the loop and auto-reply signs, and what the relay said about SPF,
DKIM and DMARC. Django-free: bytes in, a `ParsedEmail` out."""

from __future__ import annotations

import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import cast

import nh3

# Ticket references in subjects: "[Expertdesk #42] Printer jams" (what we send).
REFERENCE = re.compile(r"\[Expertdesk #(\d{1,9})\]", re.IGNORECASE)
SUBJECT_PREFIXES = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw)\s*:\s*)+", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")
# Our own outbound mail carries this header: seeing it come back is a loop.
OUR_HEADER = "X-Expertdesk-Ticket"


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class AuthResults:
    """The relay's verdicts ("pass", "fail", "softfail", "none", …; "" when not given), and
    whether a DMARC failure came with the sender domain's p=reject policy."""

    spf: str = ""
    dkim: str = ""
    dmarc: str = ""
    dmarc_reject: bool = False
    raw: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    text: str  # what the sender wrote, without quotes and signature
    html: bool  # the text came from an HTML body
    attachments: list[ParsedAttachment] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)  # In-Reply-To, then References
    to_addresses: list[str] = field(default_factory=list)
    auto_reply_reason: str = ""  # why it is an auto-reply or a loop sign; "" for a person's
    ours: bool = False  # carries our own header: our mail came back
    auth: AuthResults = AuthResults()

    @property
    def reference(self) -> int | None:
        found = REFERENCE.search(self.subject)
        return int(found.group(1)) if found else None

    @property
    def title(self) -> str:
        """The subject without Re:/Fwd: prefixes and our reference."""
        return " ".join(SUBJECT_PREFIXES.sub("", REFERENCE.sub("", self.subject)).split())


def email_parse(raw: bytes, *, authserv_ids: tuple[str, ...] = ()) -> ParsedEmail:
    # policy.default builds an EmailMessage (get_body, iter_attachments, parsed headers).
    message = cast(EmailMessage, BytesParser(policy=email.policy.default).parsebytes(raw))
    from_name, from_address = _from_of(message)
    body, is_html = _body_of(message)
    message_id = _header(message, "Message-ID").strip()
    found = MESSAGE_ID.search(message_id)
    message_id = found.group(0) if found else ""
    if not message_id:
        # A message without one still gets a stable id: a redelivery is recognised.
        message_id = f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
    return ParsedEmail(
        message_id=message_id[:255],
        from_address=from_address,
        from_name=from_name,
        subject=" ".join(_header(message, "Subject").split())[:500],
        text=text_stripped(body),
        html=is_html,
        attachments=_attachments_of(message),
        in_reply_to=_referenced_ids(message),
        to_addresses=[
            a.lower() for _, a in getaddresses(_all(message, "To") + _all(message, "Cc"))
        ],
        auto_reply_reason=auto_reply_reason(message),
        ours=bool(_header(message, OUR_HEADER)),
        auth=auth_results(message, authserv_ids=authserv_ids),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy can't parse reads as absent
        return ""
    return str(value) if value is not None else ""


def _all(message: EmailMessage, name: str) -> list[str]:
    try:
        return [str(v) for v in message.get_all(name) or []]
    except Exception:
        return []


def _from_of(message: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_header(message, "From"))
    return " ".join(name.split())[:200], address.strip().lower()[:254]


def _body_of(message: EmailMessage) -> tuple[str, bool]:
    """The plain text part when there is one, else the HTML part as text."""
    for kind in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(kind,))
        except Exception:
            part = None
        if part is None:
            continue
        try:
            content = part.get_content()
        except Exception:  # an unknown charset: the bytes as UTF-8, replacing what isn't
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if not isinstance(content, str):
            continue
        return (html_to_text(content), True) if kind == "html" else (content, False)
    return "", False


def _attachments_of(message: EmailMessage) -> list[ParsedAttachment]:
    found = []
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage) or part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        name = part.get_filename() or "attachment"
        # Only the last path component: the sender's file name never names a folder.
        name = re.split(r"[\\/]", name)[-1].strip() or "attachment"
        found.append(ParsedAttachment(name[:255], part.get_content_type(), data))
    return found


def _referenced_ids(message: EmailMessage) -> list[str]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        for found in MESSAGE_ID.findall(" ".join(_all(message, name))):
            if found not in ids:
                ids.append(found)
    return ids[:50]


# ---------------------------------------------------------------- loops and auto-replies

BULK_PRECEDENCE = {"bulk", "junk", "list"}
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")


def auto_reply_reason(message: EmailMessage) -> str:
    """Why the message is no person writing (RFC 3834 and the headers mailers really send),
    or "" when it is one."""
    submitted = _header(message, "Auto-Submitted").strip().lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {submitted[:60]}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in AUTO_REPLY_HEADERS:
        value = _header(message, name).strip()
        if value:
            return f"{name}: {value[:60]}"
    # Not List-Id: a customer's support address is often a group that forwards to us and
    # adds one to every message.
    content_type = message.get_content_type()
    if content_type == "multipart/report":
        return "a delivery status report"
    return ""


# ---------------------------------------------------------------- SPF, DKIM, DMARC

_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def auth_results(message: EmailMessage, *, authserv_ids: tuple[str, ...] = ()) -> AuthResults:
    """The verdicts of the relay in front of us (RFC 8601 Authentication-Results, and
    Received-SPF). With `authserv_ids` only headers of those servers count (anyone can write
    such a header into their mail; a relay of ours strips them or adds its own on top);
    without, only the topmost one (the last hop's). The first result of each kind wins."""
    headers = _all(message, "Authentication-Results")
    if authserv_ids:
        wanted = {a.lower() for a in authserv_ids}
        headers = [h for h in headers if h.split(";")[0].strip().lower() in wanted]
    else:
        headers = headers[:1]
    verdicts: dict[str, str] = {}
    dmarc_reject = False
    for header in headers:
        for resinfo in header.split(";")[1:]:
            found = _RESULT.search(resinfo)
            if not found:
                continue
            method, result = found.group(1).lower(), found.group(2).lower()
            verdicts.setdefault(method, result)
            if method == "dmarc" and result == "fail":
                policy = resinfo.lower().replace(" ", "")
                rejects = "p=reject" in policy or "policy.dmarc=reject" in policy
                dmarc_reject = dmarc_reject or rejects
    if "spf" not in verdicts:
        received_spf = _all(message, "Received-SPF")[:1]
        if received_spf and received_spf[0].split():
            verdicts["spf"] = received_spf[0].split()[0].lower()
    return AuthResults(
        spf=verdicts.get("spf", "")[:20],
        dkim=verdicts.get("dkim", "")[:20],
        dmarc=verdicts.get("dmarc", "")[:20],
        dmarc_reject=dmarc_reject,
        raw=tuple(h[:1000] for h in headers),
    )


# ---------------------------------------------------------------- HTML to text

# What survives sanitizing: structure worth keeping as line breaks and list items. Scripts,
# styles, comments and every attribute but links' go (nh3, the project's HTML sanitizer).
_KEPT_TAGS = {
    "a", "p", "br", "div", "span", "ul", "ol", "li", "blockquote", "pre", "code", "b", "i",
    "strong", "em", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "td", "th", "tbody",
    "thead", "hr",
}  # fmt: skip
_BLOCKS = {"p", "div", "ul", "ol", "blockquote", "pre", "table", "tr", "h1", "h2", "h3", "h4",
           "h5", "h6", "hr"}  # fmt: skip


class _TextOfHtml(HTMLParser):
    """Sanitized HTML to plain text (the stdlib parser): blocks become lines, list items
    "- ", links "text (address)", and a blockquote's lines are quoted with "> " so that
    quote stripping treats a quoted reply in HTML as it does in plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote = 0
        self.href: str | None = None
        self.link_text = ""

    def _newline(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.lines.append("")
        elif tag in _BLOCKS:
            self._newline()
        if tag == "blockquote":
            self.quote += 1
        elif tag == "li":
            self._newline()
            self._write("- ")
        elif tag == "a":
            self.href = dict(attrs).get("href") or None
            self.link_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in _BLOCKS or tag == "li":
            self._newline()
            if tag == "p":  # paragraphs stay apart, as in the plain text part
                self.lines.append("")
        elif tag == "a":
            if self.href and self.href not in self.link_text and self.href.startswith("http"):
                self._write(f" ({self.href})")
            self.href = None

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not text:
            if data and self.lines[-1] and not self.lines[-1].endswith(" "):
                self._write(" ")
            return
        if data[:1].isspace() and self.lines[-1] and not self.lines[-1].endswith(" "):
            text = " " + text
        if data[-1:].isspace():
            text += " "
        if self.href is not None:
            self.link_text += text
        self._write(text)

    def _write(self, text: str) -> None:
        if not self.lines[-1] and self.quote:
            self.lines[-1] = "> " * self.quote
        self.lines[-1] += text

    def text(self) -> str:
        lines = [line.rstrip() for line in self.lines]
        return "\n".join(lines).strip()


def html_to_text(html: str) -> str:
    clean = nh3.clean(html, tags=_KEPT_TAGS, attributes={"a": {"href"}}, link_rel=None)
    parser = _TextOfHtml()
    parser.feed(clean)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", parser.text())


# ---------------------------------------------------------------- quotes and signatures

# The line a mail client writes above the quoted message: "On Tue, 3 Dec 2026 at 10:02, Ann
# <ann@example.com> wrote:" (it may wrap onto a second line), Outlook's separators.
_ATTRIBUTION = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL)
_OUTLOOK = re.compile(r"^\s*(-{2,}\s*Original Message\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*From:\s", re.IGNORECASE)


def text_stripped(text: str) -> str:
    """What the sender wrote: everything before the first quoted reply ("On … wrote:",
    Outlook's "-----Original Message-----" or a line of underscores followed by "From:") and
    before the signature ("-- " on a line of its own, RFC 3676), without "> " lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() == "--":  # "-- " with its space, or without it as many clients send
            break
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _ATTRIBUTION.match(line) or (
            line.strip().lower().startswith("on ") and _ATTRIBUTION.match(f"{line} {following}")
        ):
            break
        if _OUTLOOK.match(line) and (
            "original message" in line.lower() or _OUTLOOK_FROM.match(following)
        ):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def addresses_of(value: str) -> list[str]:
    return [a.lower() for _, a in getaddresses([value]) if a]
