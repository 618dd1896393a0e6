import re

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from ..markdown import render_markdown
from ..masking import KINDS

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """{{ article.body|markdown }}: sanitized HTML from Markdown."""
    return render_markdown(text)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


@register.filter
def money(cents: int | None) -> str:
    return "—" if cents is None else f"${cents / 100:,.2f}"


_PLACEHOLDER = re.compile(r"\[(" + "|".join(KINDS) + r")\]")


@register.filter
def placeholders(text: str) -> SafeString:
    """{{ ticket.masked_body|placeholders }}: the masked text, escaped, with its placeholders
    marked so a reader sees at a glance what was hidden."""
    marked = _PLACEHOLDER.sub(r'<mark class="masked">[\1]</mark>', str(escape(text or "")))
    return mark_safe(linebreaks(marked, autoescape=False))  # noqa: S308 - escaped just above
