import re

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from ..markdown import render_markdown
from ..masking import KINDS
from ..services.tickets import percent_text

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """{{ article.body|markdown }}: sanitized HTML from Markdown."""
    return render_markdown(text)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


@register.filter
def percent_exact(value: float | None) -> str:
    """A target such as 0.975 as "97.5%" (`percent` would round it to 98%)."""
    return "—" if value is None else percent_text(value)


@register.filter
def signed(value: float) -> str:
    """A term's weight with its direction: "+0.42", "−0.05" (a true minus sign)."""
    return f"+{value:.2f}" if value >= 0 else f"\u2212{abs(value):.2f}"


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
