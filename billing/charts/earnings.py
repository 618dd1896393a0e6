"""The earnings page's monthly bar chart: a small inline SVG in the style of ml/charts.py.

Built with `format_html`, so the output is escaped and safe to print as is. Values are net
cents per month; the axis shows whole dollars on "nice" steps so the ticks read 0/50/100."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..services.earnings import MonthTotal

SVG_NS = "http://www.w3.org/2000/svg"
ACCENT = "#2f5bd3"
MUTED = "#8a93ad"
GRID = "#e3e6ef"
TEXT = "#2b3354"

PLOT_HEIGHT = 160.0
SLOT = 86.0
BAR_WIDTH = 44.0
LEFT = 56.0
TOP = 20.0
BOTTOM = 34.0
TICKS = 4


def _f(value: float) -> str:
    return f"{value:.1f}"


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.0f}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def _nice_ceiling(cents: int) -> int:
    """The smallest 1/2/5 × 10ⁿ dollar step count that covers the largest month."""
    if cents <= 0:
        return 100 * TICKS
    step = cents / TICKS
    magnitude = 10 ** math.floor(math.log10(step))
    for factor in (1, 2, 2.5, 5, 10):
        if step <= factor * magnitude:
            nice_step = factor * magnitude
            break
    nice_step = max(100, math.ceil(nice_step / 100) * 100)  # whole dollars per tick
    return int(nice_step * TICKS)


def _month_label(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 1).strftime("%b")


def monthly_earnings_chart(months: Sequence[MonthTotal], *, title: str) -> SafeString:
    """Vertical bars of net earnings per month, oldest on the left; January shows its year."""
    if not months:
        return SafeString("")
    top = _nice_ceiling(max(m.net_cents for m in months))
    width = LEFT + SLOT * len(months) + 8
    height = TOP + PLOT_HEIGHT + BOTTOM
    base = TOP + PLOT_HEIGHT
    parts: list[SafeString] = []
    for i in range(TICKS + 1):
        value = top * i // TICKS
        y = base - PLOT_HEIGHT * i / TICKS
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="{}">{}</text>',
                _f(LEFT),
                _f(y),
                _f(width - 8),
                _f(y),
                GRID,
                _f(LEFT - 6),
                _f(y + 3.5),
                MUTED,
                _dollars(value),
            )
        )
    for i, month in enumerate(months):
        bar_h = PLOT_HEIGHT * month.net_cents / top
        x = LEFT + SLOT * i + (SLOT - BAR_WIDTH) / 2
        cx = x + BAR_WIDTH / 2
        label = _month_label(month.period)
        if label == "Jan" or i == 0:
            label = f"{label} {month.period[2:4]}"
        value_text = (
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text>',
                _f(cx),
                _f(base - bar_h - 4),
                TEXT,
                _dollars(month.net_cents),
            )
            if month.net_cents
            else SafeString("")
        )
        parts.append(
            format_html(
                '<g class="bar"><title>{}: {}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}" data-period="{}" '
                'data-cents="{}"/>{}'
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}</text></g>',
                month.period,
                _dollars(month.net_cents),
                _f(x),
                _f(base - bar_h),
                _f(BAR_WIDTH),
                _f(bar_h),
                ACCENT,
                month.period,
                month.net_cents,
                value_text,
                _f(cx),
                _f(base + 16),
                TEXT,
                label,
            )
        )
    return format_html(
        '<svg xmlns="{}" class="chart earnings-chart" viewBox="0 0 {} {}" width="{}" '
        'height="{}" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        SVG_NS,
        _f(width),
        _f(height),
        _f(width),
        _f(height),
        title,
        title,
        format_html_join("", "{}", ((p,) for p in parts)),
    )
