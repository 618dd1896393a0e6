"""The follow-up question a requester is asked when their ticket carries too little to triage
("it doesn't work"). Pure: no Django, no model; it reads the category candidates the model
ranked (best first) and the text, and asks for what would let the model, or a person, decide.

The question is specific to the candidates: a network ticket is asked which network or VPN,
a hardware ticket which device. When the two best candidates are close, it asks which of the
two it is. It also says which details the text lacks (no error text quoted, no "since when"),
so the requester sees why we ask. Categories are an organization's own names ("Access &
Accounts", "network"), so they are matched to topics by their words, and a category no topic
knows gets the generic question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    # Words a category's name starts with ("Printing" → "print").
    keywords: tuple[str, ...]
    # "Which …": the thing the requester should name.
    which: str
    # Asked when no error text is quoted.
    symptom: str
    # How the topic reads in "Is it about A or B?".
    noun: str
    # What "doesn't …" says is missing when the text names nothing.
    unnamed: str = "name the device or app"


TOPICS = (
    # Printing before hardware: a category named "Printer hardware" is about printers.
    Topic(
        ("print",),
        "Which printer is it (its name or where it stands)",
        "what does it show or print",
        "a printer (which one?)",
        "name the printer",
    ),
    Topic(
        ("network", "vpn", "wifi", "wi", "wlan", "lan", "connect", "internet"),
        "Which network or VPN are you on",
        "what error do you see",
        "the network (which network or VPN?)",
        "name the network",
    ),
    Topic(
        ("hardware", "device", "laptop", "desktop", "computer", "monitor", "peripheral"),
        "Which device is it (make and model)",
        "what happens when you switch it on or use it",
        "a device (which model?)",
        "name the device",
    ),
    Topic(
        ("email", "mail", "outlook", "exchange"),
        "Which mail app is it (Outlook, webmail, your phone)",
        "what error does it show",
        "e-mail (which app?)",
        "name the mail app",
    ),
    Topic(
        ("access", "account", "login", "password", "identity", "sign", "auth"),
        "Which account or system can't you get into",
        "what does the sign-in page say",
        "an account (which system?)",
        "name the account or system",
    ),
    Topic(
        ("cloud", "saas"),
        "Which cloud service or SaaS app is it",
        "what error do you see",
        "a cloud service (which one?)",
        "name the service",
    ),
    Topic(
        ("security", "phishing", "malware", "virus", "threat"),
        "What did you notice (a suspicious e-mail, a warning, a blocked file), and on which device",
        "what exactly did the warning say",
        "a security concern (what did you notice?)",
        "say what you noticed",
    ),
    Topic(
        ("software", "application", "app", "apps", "program"),
        "Which application is it, and which version",
        "what error do you see",
        "an application (which one?)",
        "name the application",
    ),
)

# Two candidates this close (the second at least this share of the first) are both asked about.
CLOSE_RATIO = 0.5

_WORD = re.compile(r"[a-z0-9]+")
# Error text: something quoted, an error code, or "error: …".
_QUOTED = re.compile(
    r"[\"“„«‘][^\"“”„«»‘’\n]{3,}[\"”»’]"
    # A straight single quote between letters is an apostrophe ("can't … won't"), not a quote.
    r"|(?<![a-z])'[^'\n]{3,}'(?![a-z])",
    re.IGNORECASE,
)
_ERROR_CODE = re.compile(
    r"\b0x[0-9a-f]{4,}\b|\b[a-z]{2,}[-_]?\d{3,}\b|\b(?:error|code|http)\s*#?\d{3,}\b"
    r"|\b(?:error|exception|failed|failure|fault)\s*[:=]\s*\S",
    re.IGNORECASE,
)
_SINCE = re.compile(
    r"\b(?:since|yesterday|today|tonight|ago|started|began|begun|after|last|this\s+morning"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|week|weeks|days|hours"
    r"|always)\b"
    r"|\b\d{1,2}[./-]\d{1,2}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)
# Something a requester would name: a device, an application, a network, a service.
_SUBJECT = re.compile(
    r"\b(?:laptop|notebook|pc|computer|desktop|macbook|mac|thinkpad|iphone|ipad|android|phone"
    r"|tablet|monitor|screen|display|dock|docking|keyboard|mouse|headset|webcam|printer|scanner"
    r"|router|switch|vpn|wifi|wi-fi|network|ethernet|outlook|teams|excel|word|powerpoint"
    r"|onedrive|sharepoint|office|windows|macos|linux|chrome|edge|firefox|browser|sap|salesforce"
    r"|zoom|slack|jira|app|application|server|share|drive|account|password|mailbox|e-?mail)\b",
    re.IGNORECASE,
)


def topic_of(category: str) -> Topic | None:
    """The topic a category's name belongs to, by the words it is made of."""
    words = _WORD.findall(category.lower())
    for topic in TOPICS:
        if any(_matches(word, keyword) for word in words for keyword in topic.keywords):
            return topic
    return None


def _matches(word: str, keyword: str) -> bool:
    # Short keywords match whole words only: "wi" (of "Wi-Fi") is not "Windows".
    return word == keyword or (len(keyword) >= 4 and word.startswith(keyword))


def _missing_details(text: str) -> tuple[bool, bool, bool]:
    """(names no device or application, quotes no error, says nothing about since when)."""
    return (
        _SUBJECT.search(text) is None,
        _QUOTED.search(text) is None and _ERROR_CODE.search(text) is None,
        _SINCE.search(text) is None,
    )


def _series(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _topics(candidates: Sequence[tuple[str, float]]) -> list[Topic]:
    """The topic of the best candidate, and of the second when it is close and different."""
    ranked = [(topic_of(label), float(p)) for label, p in candidates]
    known = [(topic, p) for topic, p in ranked if topic is not None]
    if not known:
        return []
    (first, p1), rest = known[0], known[1:]
    for topic, p in rest:
        if topic is first:
            continue
        if p1 <= 0 or p >= CLOSE_RATIO * p1:
            return [first, topic]
        break
    return [first]


def follow_up_question(candidates: Sequence[tuple[str, float]], text: str) -> str:
    """A short question that asks for what the ticket lacks, specific to the categories the
    model considered (`candidates`: (category, probability), best first)."""
    no_subject, no_error, no_since = _missing_details(text)
    topics = _topics(candidates)
    missing = []
    if no_subject:
        missing.append(topics[0].unnamed if len(topics) == 1 else "name the device or app")
    if no_error:
        missing.append("quote the error")
    if no_since:
        missing.append("say since when")
    intro = f"Your ticket doesn't {_series(missing)}. " if missing else ""

    when = " Since when does it happen?" if no_since else ""
    if len(topics) == 2:
        first, second = topics
        if no_error and no_since:
            detail = " What error do you see, and since when?"
        elif no_error:
            detail = " What error do you see?"
        else:
            detail = when
        return f"{intro}Is it about {first.noun} or {second.noun}?{detail}"
    if topics:
        topic = topics[0]
        ask = f"{topic.which}, and {topic.symptom}?" if no_error else f"{topic.which}?"
        return f"{intro}{ask}{when}"
    if no_error and no_since:
        ask = "Which device or application is it, what error text do you see, and since when?"
    elif no_error:
        ask = "Which device or application is it, and what error text do you see?"
    else:
        ask = "Which device or application is it?" + when
    return f"{intro}{ask}"
