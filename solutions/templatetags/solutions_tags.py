from django import template
from django.utils.safestring import SafeString

from ..markdown import render_markdown

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
