"""`{{ cents|cents_money }}`: integer cents as dollars, formatted without floats."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def cents_money(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"
