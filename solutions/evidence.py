"""Evidence a reader can check: the words a ticket and a suggested answer share, marked in
the answer, and the passage of a long answer that matched.

Highlighting never trusts its input to be markup-safe. Plain text is escaped around the
marks. Rendered Markdown (already sanitized HTML) is parsed with the standard library's HTML
parser, marks are added to its text only (never inside a tag or an attribute), and the result
goes through nh3 again with `<mark>` allowed: a mistake here can drop formatting, not let
markup through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from html.parser import HTMLParser

import nh3
from django.utils.safestring import SafeString, mark_safe

from .markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES

# Words that say nothing about a problem. A short list of our own: scikit-learn's would
# import scikit-learn into every web process (tests/ml/test_pipeline.py keeps it out).
STOP_WORDS = frozenset(
    """
    about above after again against all also and any are because been before being below
    between both but can cannot could did does doing down during each few for from further
    had has have having her here hers herself him himself his how into its itself just more
    most myself nor not now off once only other our ours ourselves out over own same she
    should some such than that the their theirs them themselves then there these they this
    those through too under until very was were what when where which while who whom why
    will with would you your yours yourself yourselves please thanks thank hello since
    """.split()
)
_WORD = re.compile(r"\w+")
MIN_WORD_LENGTH = 3
# A passage is one paragraph of an answer longer than this; a shorter answer is its own.
PASSAGE_MIN_ANSWER_CHARS = 600


# Every ticket and suggestion a page or an API list shows is compared word by word on each
# read; the same words and the same answers come back on every page, so both are memoised
# per process (bounded: 1,024 texts, 65,536 words).
@lru_cache(maxsize=65536)
def word_key(word: str) -> str | None:
    """How words are compared: case-folded, a plural "s" dropped; None for words that carry
    no evidence (short ones, English stop words, numbers)."""
    folded = word.casefold()
    if len(folded) < MIN_WORD_LENGTH or folded in STOP_WORDS or folded.isdigit():
        return None
    if len(folded) > 3 and folded.endswith("s") and not folded.endswith("ss"):
        folded = folded[:-1]
    return folded


@lru_cache(maxsize=1024)
def word_keys(text: str) -> frozenset[str]:
    return frozenset(key for w in _WORD.findall(text or "") if (key := word_key(w)) is not None)


def shared_words(ticket_text: str, *others: str) -> frozenset[str]:
    """The comparison keys of the words the ticket shares with any of `others`."""
    theirs: set[str] = set()
    for other in others:
        theirs |= word_keys(other)
    return word_keys(ticket_text) & theirs


def _marked(text: str, words: frozenset[str]) -> str:
    """`text` escaped, with every word whose key is in `words` inside a <mark>."""
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        if word_key(match.group()) in words:
            out.append(escape(text[last : match.start()], quote=False))
            out.append(f"<mark>{escape(match.group(), quote=False)}</mark>")
            last = match.end()
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def highlight_text(text: str, words: frozenset[str]) -> SafeString:
    """Plain text (a title) as HTML with the shared words marked."""
    return mark_safe(_marked(text or "", words))  # noqa: S308 - escaped in _marked


class _Marker(HTMLParser):
    def __init__(self, words: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.words = words
        self.out: list[str] = []

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], end: str = ">") -> str:
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{escape(value)}"' for name, value in attrs
        )
        return f"<{tag}{rendered}{end}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, " />"))

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(_marked(data, self.words))


def highlight_html(rendered: str, words: frozenset[str]) -> SafeString:
    """Sanitized HTML (rendered Markdown) with the shared words marked in its text."""
    if not words:
        return mark_safe(rendered)  # noqa: S308 - the caller's sanitized HTML, unchanged
    marker = _Marker(words)
    marker.feed(rendered)
    marker.close()
    cleaned = nh3.clean(
        "".join(marker.out),
        tags=ALLOWED_TAGS | {"mark"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above


def best_passage(answer: str, ticket_text: str) -> str:
    """The paragraph of a long answer (an article) that shares the most words with the
    ticket, the first of equals; empty when the answer is short enough to be read whole or
    no paragraph shares anything."""
    if len(answer) < PASSAGE_MIN_ANSWER_CHARS:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", answer) if p.strip()]
    if len(paragraphs) < 2:
        return ""
    wanted = word_keys(ticket_text)
    best, best_overlap = "", 0
    for paragraph in paragraphs:
        overlap = len(word_keys(paragraph) & wanted)
        if overlap > best_overlap:
            best, best_overlap = paragraph, overlap
    return best
