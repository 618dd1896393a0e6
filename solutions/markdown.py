"""Markdown from people (knowledge articles, expert answers): sanitized once, when it is
written, and rendered safely for pages.

The dialect is CommonMark with GitHub's tables and strikethrough, parsed by markdown-it-py
everywhere: for pages, for the stored form and for its verification. (Pages used
python-markdown before; it needs quadratic time for unclosed brackets — 250 `[` in a 100 kB
article cost 5 s on every view — and reads code differently from the CommonMark that API
clients use.)

Stored content travels: the REST API and webhooks hand it to other systems, accepted answers
become knowledge articles and retrieval suggestions, and whoever receives it may render it
with a Markdown renderer that passes raw HTML through. So what is stored (`body`) is Markdown
that cannot carry active HTML; the author's text is kept beside it (`body_source`) for
editing. `markdown_sanitize` makes the stored form:

1. Code is left alone. Fenced and indented code blocks and code spans are literal text to
   every renderer, so a `<script>` in a code block stays there for the reader to see. A code
   fence left open at the end is closed.
2. In the rest of the text, raw HTML is rebuilt from an allow-list or removed, the way the
   pages' sanitizer (nh3) treats it: harmless formatting tags (`<b>`, `<br>`, tables ...) are
   kept without attributes (`<a>` keeps a safe `href` and `title`, or goes, leaving its
   text); every other tag is removed, `<script>` and `<style>` with their content; comments,
   declarations and processing instructions are removed. What is a tag is decided by
   CommonMark's grammar and by the looser one of python-markdown (whose raw HTML passes more
   through); anything else that starts like a tag (`<img` without its `>`) gets its `<`
   escaped as `&lt;`, so it stays text in every renderer. Autolinks to http(s) and mail
   addresses are kept; other `<scheme:...>` removed.
3. Links, images and reference definitions whose destination is not http, https, mailto or
   relative (`javascript:`, `data:`, `vbscript:`, also when hidden by entities, escapes or
   whitespace) lose the link and keep their text: `[x](javascript:alert(1))` becomes `x`.
4. Removing something can join its neighbours into something new (`<<!-- -->img ...>`), so
   the pass repeats until nothing changes.
5. The result is verified, not trusted: markdown-it-py renders it with raw HTML on and no
   link filter, and every element and attribute must be on the allow-list, every URL safe.
   Input that the steps above read differently from the parser (contrived input) fails and is
   stored in a form in which no HTML and no link can exist at all: every `<` becomes `&lt;`
   and every `]` is escaped — safe at the cost of formatting.

Pages render the stored form through `render_markdown` (markdown-it-py, then nh3), so they
stay safe even for content that was never sanitized.

nh3 alone can't make the stored form: it reads its input as HTML, so it would escape the `>`
of every Markdown block quote and mangle `<` inside code blocks.
"""

from __future__ import annotations

import bisect
import html
import re
from html.parser import HTMLParser

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common import html_re
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "s",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


# One parser for pages, sanitizing and verification. Its own link filter is off: the
# verification must see every link a permissive renderer would make, and on pages nh3
# removes unsafe URLs (leaving the link's text, where markdown-it would print the Markdown).
_commonmark = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_commonmark.validateLink = lambda url: True  # type: ignore[method-assign]


def render_markdown(text: str) -> SafeString:
    cleaned = nh3.clean(
        _commonmark.render(storable(text)),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above


def markdown_text(text: str) -> str:
    """What a reader sees of `text`: its rendering without any tag, whitespace collapsed.
    Empty for Markdown that is only markup (`<b></b>`)."""
    visible = html.unescape(nh3.clean(_commonmark.render(storable(text)), tags=set()))
    return " ".join(visible.split())


# ---------------------------------------------------------------- URLs

_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def url_allowed(url: str) -> bool:
    """Whether a link destination is http(s), mailto or relative, read the way a browser
    reads it after a Markdown renderer has decoded it: entities and backslash escapes
    decoded, tabs and newlines dropped anywhere, leading controls and spaces ignored."""
    url = _BACKSLASH_ESCAPE.sub(r"\1", html.unescape(url))
    url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    url = url.lstrip(_C0_AND_SPACE + "<")
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


# ---------------------------------------------------------------- raw HTML in prose

# How far a search for the end of a construct goes. Bounded so that no input makes the scan
# quadratic (a thousand unclosed `<a` each searching to the end); what doesn't end within it
# is treated as unfinished, which is always the safe reading (escaped or removed).
SCAN_LIMIT = 4096

_SAFE_AUTOLINK = re.compile(
    r"<(?:(?:https?|mailto):[^\s<>\"'`]*|[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9.-]+)>"
)
_TAG_START = re.compile(r"</?[A-Za-z]")
_COMMONMARK_TAG = re.compile(f"{html_re.open_tag}|{html_re.close_tag}")
# Python-Markdown 3.11's inline HTML tag pattern (BSD licence): looser than CommonMark's (no
# space needed between attributes, `<svg/onload=...>`), which browsers accept too.
_PYTHON_MARKDOWN_TAG = re.compile(
    r"""<\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'"""
    r"""|[^\s"'=<>]++))?+)*+\s*+/?>""",
    re.DOTALL,
)
_CONTENT_DROPPED = {"script", "style"}
_CLOSING = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _CONTENT_DROPPED}


class _OneTag(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tag: tuple[str, list[tuple[str, str | None]], bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.tag is None:
            self.tag = (tag, attrs, False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.tag is None:
            self.tag = (tag, [], True)


def _rebuilt_tag(tag_text: str) -> tuple[str, str, bool] | None:
    """(name, the tag rebuilt from the allow-list or "" to drop it, closing?)."""
    parser = _OneTag()
    parser.feed(tag_text)
    parser.close()
    if parser.tag is None:
        return None
    name, attrs, closing = parser.tag
    if name not in ALLOWED_TAGS:
        return name, "", closing
    if closing:
        return name, f"</{name}>", True
    allowed = ALLOWED_ATTRIBUTES.get(name, set())
    kept = []
    for attr, value in attrs:
        if attr not in allowed or value is None:
            continue
        if attr == "href" and not url_allowed(value):
            continue
        if attr == "align" and value.lower() not in ("left", "right", "center"):
            continue
        kept.append(f' {attr}="{html.escape(value, quote=True)}"')
    if name == "a" and not any(k.startswith(" href=") for k in kept):
        return name, "", False  # a link that goes nowhere is its text
    return name, f"<{name}{''.join(kept)}>", False


def _raw_html(text: str, i: int) -> tuple[str, int]:
    """What replaces the `<` at `text[i]` and whatever markup starts there, and where
    scanning resumes."""
    autolink = _SAFE_AUTOLINK.match(text, i, i + SCAN_LIMIT)
    if autolink:
        return autolink.group(), autolink.end()
    limit = i + SCAN_LIMIT
    for opener, closer in (("<!--", "-->"), ("<![CDATA[", "]]>")):
        if text.startswith(opener, i):
            end = text.find(closer, i + len(opener), limit)
            return ("", end + len(closer)) if end != -1 else ("&lt;", i + 1)
    if text.startswith(("<!", "<?"), i):
        end = text.find(">", i + 2, limit)
        return ("", end + 1) if end != -1 else ("&lt;", i + 1)
    if not _TAG_START.match(text, i):
        return "<", i + 1
    # A tag only where a renderer would pass one through: CommonMark's grammar or
    # python-markdown's. Anything else tag-like is text to both, and stays text by escaping.
    tag = _COMMONMARK_TAG.match(text, i, limit) or _PYTHON_MARKDOWN_TAG.match(text, i, limit)
    rebuilt = _rebuilt_tag(tag.group()) if tag else None
    if tag is None or rebuilt is None:
        return "&lt;", i + 1
    end = tag.end()
    name, replacement, closing = rebuilt
    if name in _CONTENT_DROPPED and not closing:
        closing_tag = _CLOSING[name].search(text, end, end + SCAN_LIMIT)
        if closing_tag:
            return "", closing_tag.end()
    return replacement, end


# ---------------------------------------------------------------- links

_DESTINATION = re.compile(rf"[ \t]*\n?[ \t]*(<[^<>\n]{{0,{SCAN_LIMIT}}}>|\S{{0,{SCAN_LIMIT}}})")
_CONTAINER_MARKERS = re.compile(r"[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t>]+)*")


def _paren_close(text: str, start: int) -> int:
    """Index of the `)` that closes the `(` before `start`, counting nested parentheses and
    skipping backslash escapes; -1 when there is none within SCAN_LIMIT."""
    depth, i, n = 0, start, min(len(text), start + SCAN_LIMIT)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


_ENTITY = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _link_target_allowed(text: str, start: int) -> bool:
    """Whether the link destination that starts at `start` (after `](` or `]:`) is safe.
    Only its scheme decides, so this reads just far enough to know it, decoding as it goes
    the way a renderer and then a browser would: entities and backslash escapes decoded,
    tabs and line breaks skipped, leading spaces, controls and a `<` ignored. A scheme that
    can't be read within SCAN_LIMIT characters counts as unsafe."""
    scheme: list[str] = []
    i, limit = start, min(len(text), start + SCAN_LIMIT)
    while i < limit:
        c, i = text[i], i + 1
        if c == "&" and (entity := _ENTITY.match(text, i - 1)):
            chars, i = html.unescape(entity.group()), entity.end()
        elif c == "\\" and i < limit and text[i] in _ASCII_PUNCTUATION:
            chars, i = text[i], i + 1
        else:
            chars = c
        for char in chars:
            if char in "\t\n\r" or (not scheme and (char in _C0_AND_SPACE or char == "<")):
                continue
            if char in _SCHEME_CHARS and (scheme or char.isalpha()):
                scheme.append(char)
                continue
            if char == ":" and scheme:
                return "".join(scheme).lower() in URL_SCHEMES
            return True  # no scheme: a relative URL
    return False


# ---------------------------------------------------------------- prose


class _Prose:
    """One block of text outside code, sanitized in one left-to-right pass."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # Backtick runs: a code span closes at the next run of exactly its width.
        self.runs: dict[int, list[int]] = {}
        for run in re.finditer("`+", text):
            self.runs.setdefault(len(run.group()), []).append(run.start())

    def code_span_end(self, i: int) -> int:
        """Where the code span opened by the backticks at `i` ends; -1 when no run of the
        same width follows (then the backticks are literal)."""
        run_end = i
        while run_end < len(self.text) and self.text[run_end] == "`":
            run_end += 1
        width = run_end - i
        starts = self.runs.get(width, [])
        k = bisect.bisect_left(starts, run_end)
        return starts[k] + width if k < len(starts) else -1

    def at_line_start(self, index: int) -> bool:
        """Only container markers (`>`, list bullets) and spaces before `index` on its line:
        where a reference definition can begin."""
        line_start = self.line_starts[bisect.bisect_right(self.line_starts, index) - 1]
        if index - line_start > 64:
            return False
        return _CONTAINER_MARKERS.fullmatch(self.text, line_start, index) is not None

    def sanitized(self) -> str:
        text, n = self.text, len(self.text)
        out: list[str] = []
        # Unmatched "[": (its index in `out`, the index of its "!" in `out` or -1, its index
        # in `text`).
        openers: list[tuple[int, int, int]] = []
        open_links = 0
        i = 0
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n:
                # python-markdown can't escape "<"; the entity reads as "<" everywhere.
                out.append("&lt;" if text[i + 1] == "<" else text[i : i + 2])
                i += 2
            elif c == "`":
                end = self.code_span_end(i)
                if end == -1:
                    run_end = i
                    while run_end < n and text[run_end] == "`":
                        run_end += 1
                    end = run_end
                out.append(text[i:end])
                i = end
            elif c == "<":
                replacement, i = _raw_html(text, i)
                if replacement.startswith("<a "):
                    open_links += 1
                elif replacement == "</a>":
                    # The end of a link whose start was removed goes with it.
                    replacement = "</a>" if open_links else ""
                    open_links = max(0, open_links - 1)
                out.append(replacement)
            elif c == "[":
                bang = len(out) - 1 if out and out[-1] == "!" else -1
                openers.append((len(out), bang, i))
                out.append("[")
                i += 1
            elif c == "]":
                opener = openers.pop() if openers else None
                if text.startswith("](", i):
                    i = self._inline_link(out, opener, i)
                elif text.startswith("]:", i) and opener and self.at_line_start(opener[2]):
                    i = self._definition(out, opener, i)
                else:
                    out.append("]")
                    i += 1
            else:
                out.append(c)
                i += 1
        return "".join(out)

    def _inline_link(self, out: list[str], opener: tuple[int, int, int] | None, i: int) -> int:
        text = self.text
        if _link_target_allowed(text, i + 2):
            out.append("](")
            return i + 2
        # An unsafe destination: the text stays, the link goes.
        close = _paren_close(text, i + 2)
        if opener is not None and close != -1:
            out[opener[0]] = ""
            if opener[1] != -1:
                out[opener[1]] = ""
            return close + 1
        out.append("](")
        destination = _DESTINATION.match(text, i + 2)
        return destination.end() if destination else i + 2

    def _definition(self, out: list[str], opener: tuple[int, int, int], i: int) -> int:
        text = self.text
        if _link_target_allowed(text, i + 2):
            out.append("]:")
            return i + 2
        # An unsafe reference definition goes as a whole, to the end of its line.
        del out[opener[0] :]
        destination = _DESTINATION.match(text, i + 2)
        after = destination.end() if destination else i + 2
        line_end = text.find("\n", after)
        return len(text) if line_end == -1 else line_end


# ---------------------------------------------------------------- blocks

_LEAF_BLOCKS = {"paragraph_open", "heading_open", "html_block", "table_open", "hr"}
_CODE_BLOCKS = {"fence", "code_block"}


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without what no UTF-8 column (and no HTML sanitizer) takes: lone surrogates,
    which a JSON body can carry ("\\ud800"), and NUL become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text or "").replace("\x00", "\ufffd")


def _normalized(text: str) -> str:
    # As CommonMark reads the input: one kind of line break, NUL replaced.
    return storable(text).replace("\r\n", "\n").replace("\r", "\n")


def _pieces(text: str, tokens: list[Token]) -> list[tuple[bool, str]]:
    """The text as (is_code, lines) pieces, in order: code blocks, leaf blocks (paragraphs,
    headings, tables, HTML blocks), and runs of other lines between them (reference
    definitions, blank lines). A code span can't cross a piece's edge."""
    lines = text.split("\n")
    label: list[str | None] = [None] * len(lines)
    for number, token in enumerate(tokens):
        if token.map is None or token.type not in _LEAF_BLOCKS | _CODE_BLOCKS:
            continue
        name = "code" if token.type in _CODE_BLOCKS else f"leaf {number}"
        for line_number in range(token.map[0], min(token.map[1], len(lines))):
            label[line_number] = name
    pieces: list[tuple[bool, str]] = []
    current: list[str] = []
    current_label: str | None = None
    for line, line_label in zip(lines, label, strict=True):
        kind = line_label or ("blank" if not line.strip() else "other")
        if current and kind != current_label:
            pieces.append((current_label == "code", "\n".join(current)))
            current = []
        current_label = kind
        current.append(line)
    pieces.append((current_label == "code", "\n".join(current)))
    return pieces


def _fallback(text: str) -> str:
    """No "<" and no unescaped "]" anywhere: no renderer can make a tag or a link of it."""
    return re.sub(r"\\?<", "&lt;", re.sub(r"(?<!\\)((?:\\\\)*)\]", r"\1\\]", text))


# ---------------------------------------------------------------- verification

_RENDERED_TAGS = ALLOWED_TAGS | {"img"}
_RENDERED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align", "style"},
    "td": {"align", "style"},
    "code": {"class"},
    "ol": {"start"},
}
_URL_ATTRIBUTES = {"href", "src"}
_TEXT_ALIGN = re.compile(r"text-align:\s*(left|right|center);?")


class _InertCheck(HTMLParser):
    """Collects what in rendered HTML is not on the allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _RENDERED_TAGS:
            self.problems.append(f"<{tag}>")
            return
        for attr, value in attrs:
            value = value or ""
            if attr not in _RENDERED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"<{tag} {attr}>")
            elif attr in _URL_ATTRIBUTES and not url_allowed(value):
                self.problems.append(f"<{tag} {attr}={value!r}>")
            elif attr == "style" and not _TEXT_ALIGN.fullmatch(value):
                self.problems.append(f"<{tag} style={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _RENDERED_TAGS:
            self.problems.append(f"</{tag}>")

    def handle_comment(self, data: str) -> None:
        self.problems.append("<!-- -->")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("<!...>")

    def handle_pi(self, data: str) -> None:
        self.problems.append("<?...>")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("<![...]>")


def active_html(text: str) -> list[str]:
    """What of `text`, rendered by markdown-it-py with raw HTML on and every link let
    through, is not on the allow-list: unknown or scripting elements, event handlers and
    other attributes, unsafe URLs. Empty for stored (sanitized) Markdown."""
    check = _InertCheck()
    check.feed(_commonmark.render(text))
    check.close()
    return check.problems


def _parsed(text: str) -> tuple[str, list[Token]]:
    """The text and its block tokens. A top-level code fence left open runs to the end of the
    text in CommonMark but is no code block at all to some renderers (python-markdown), so
    it is closed."""
    tokens = _commonmark.parse(text)
    lines = text.split("\n")
    for token in tokens:
        if token.type != "fence" or token.level != 0 or token.map is None:
            continue
        if token.map[1] < len(lines):
            continue  # something follows, so the fence was closed
        last = lines[token.map[1] - 1].strip() if token.map[1] - token.map[0] > 1 else ""
        fence = token.markup[0]
        if not (len(last) >= len(token.markup) and last == fence * len(last)):
            text = f"{text}\n{token.markup}"
            return text, _commonmark.parse(text)
    return text, tokens


def _sanitized_once(text: str) -> str:
    out: list[str] = []
    dropped = False
    for is_code, piece in _pieces(*_parsed(text)):
        clean = piece if is_code else _Prose(piece).sanitized()
        if not clean.strip() and (piece.strip() or dropped):
            # A block that was only markup (a <script> paragraph) goes with the blank lines
            # after it, so that none pile up.
            dropped = True
            continue
        dropped = False
        out.append(clean)
    return "\n".join(out)


def markdown_sanitize(source: str) -> str:
    """The stored form of Markdown someone wrote: the same Markdown without active HTML (see
    the module's docstring). Sanitizing sanitized text changes nothing."""
    text = _normalized(source)
    # Removing a construct can join its neighbours into a new one (`<<!-- -->img ...>`), so
    # the pass repeats until nothing changes; text that keeps changing is not worth a fourth.
    for _ in range(3):
        sanitized = _sanitized_once(text)
        if sanitized == text:
            break
        text = sanitized
    else:
        return _fallback(text)
    if active_html(text):
        return _fallback(text)
    return text
