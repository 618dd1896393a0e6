"""What every masking rule shares: the placeholders, the rule plumbing and the small helpers the
patterns are written with. See the package docstring for the contract the rules keep."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

# Each kind has one placeholder, `[kind]`: the expert sees what kind of thing stood there.
KINDS = (
    "email",
    "phone",
    "ip",
    "mac",
    "name",
    "address",
    "password",
    "secret",
    "card",
    "iban",
    "id",
    "redacted",
)
TOKEN = {kind: f"[{kind}]" for kind in KINDS}


class Tally(Counter[str]):
    """How many of each kind a masking pass replaced, and the names it found by their context
    (greetings, signatures, prose): the organization learns those for later tickets."""

    def __init__(self) -> None:
        super().__init__()
        self.found_names: list[str] = []


Rule = Callable[[str, Tally], str]
# Returns what replaces the whole match, or None where the match turns out not to be one.
Replace = Callable[[re.Match[str]], "str | None"]


def count_added(counts: Tally, found: str, out: str) -> None:
    """Counts the placeholders `out` has that `found` did not."""
    for kind, token in TOKEN.items():
        added = out.count(token) - found.count(token)
        if added > 0:
            counts[kind] += added


def regex_rule(pattern: re.Pattern[str], replace: Replace, *, needs: str = "") -> Rule:
    def rule(text: str, counts: Tally) -> str:
        if needs not in text:
            return text

        def one(match: re.Match[str]) -> str:
            found = match.group()
            out = replace(match)
            if out is None:
                return found
            count_added(counts, found, out)
            return out

        return pattern.sub(one, text)

    return rule


def swap(match: re.Match[str], group: str, replacement: str) -> str:
    start, end = match.span(group)
    whole = match.group()
    return whole[: start - match.start()] + replacement + whole[end - match.start() :]


def glued(match: re.Match[str], chars: str = "_-") -> bool:
    """Whether the match continues a word: `xAKIA…` is not an AWS key."""
    before = match.string[match.start() - 1 : match.start()]
    return bool(before) and (before.isalnum() or before in chars)


def keywords(words: Iterable[str], *, camel_case: bool = False) -> str:
    """A case-insensitive alternation of `words` (regex fragments starting with a letter) that
    only starts a word, written so that it begins with a character class: the engine then
    skips to the possible first letters instead of trying the pattern at every position."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        if not word[0].isalnum():
            raise ValueError(f"keyword {word!r} must start with a letter or digit")
        by_first.setdefault(word[0].lower(), []).append(word[1:])
    first = "".join(sorted(f"{c}{c.upper()}" for c in by_first))
    # Not after a letter or digit; with camel_case also at a hump: newPassword, clientSecret.
    boundary = r"(?:(?<![^\W_].)|(?<=[a-z][A-Z]))" if camel_case else r"(?<![^\W_].)"
    # Longest alternatives first: "clave wifi" must be tried before "clave", or the shorter
    # key would match and leave the real value unread.
    tails = "|".join(
        f"(?<={c})(?:{'|'.join(sorted(rest, key=len, reverse=True))})"
        for c, rest in by_first.items()
    )
    return rf"[{first}]{boundary}(?i:{tails})(?![^\W_])"


def expand(words: Iterable[str]) -> list[str]:
    """`(?:a|b)[ _-]?x` → `a[ _-]?x`, `b[ _-]?x`: `keywords` needs a letter first."""
    out: list[str] = []
    for word in words:
        head = re.match(r"\(\?:([a-z0-9|]+)\)(.*)", word)
        out += [f"{w}{head[2]}" for w in head[1].split("|")] if head else [word]
    return out


# Values that follow "password:" or "token is" in ordinary sentences, not credentials.
NOT_VALUES = frozenset(
    """
    not no none null nil undefined empty blank missing unknown invalid valid expired expiring
    wrong correct incorrect required optional reset rejected locked blocked accepted changed
    unchanged same different ok okay fine working broken also still now being been the a an in
    on for of to at by from with without as so then there here this that it which what how why
    when too very just only always never sometimes again either neither both and or but case
    set stored saved managed synced known shown hidden visible long short weak strong complex
    true false yes n/a na tbd due about like my your his her our their its mine yours redacted
    removed masked provided attached below above enabled disabled off please see sent given
    generated whatever something nothing anything all policy policies manager vault field box
    prompt prompts screen page dialog window form change changes expiry expiration history
    length rules rule requirements complexity hash hashes reset-link link links sync
    recovery request requests update updates is was are were has have had be will would can
    could should must may might did does do doesn't don't isn't wasn't won't can't cannot
    """.split()
)
# Stand-ins people write instead of a real value, and this package's own placeholders.
_PLACEHOLDER = re.compile(
    r"\[\w+\]|\*+|[xX•●]{3,}|\.{3,}|…|\$\{[^}]*\}|%\w+%|\{\{.*\}\}|<[^>]*>", re.DOTALL
)
TRAILING = ".,:;)]}"


_TOKEN_HEADS = tuple(token[:-1] for token in TOKEN.values())


def is_placeholder(value: str) -> bool:
    """A stand-in or an earlier rule's placeholder, also when trailing punctuation was cut
    off with its closing bracket ("[password" of "[password]")."""
    if value.lstrip("\"'(").startswith(_TOKEN_HEADS):
        return True
    return bool(_PLACEHOLDER.fullmatch(value.rstrip(".,:;)!?")))


def has_placeholder_token(text: str) -> bool:
    return any(token in text for token in TOKEN.values())
