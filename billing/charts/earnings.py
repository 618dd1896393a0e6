"""The earnings page's monthly bar chart: a small inline SVG drawn with common.svg, like the
model page's charts.

Built with `format_html`, so the output is escaped and safe to print as is. Values are net
cents per month; the axis shows whole dollars on "nice" steps so the ticks read 0/50/100."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.svg import ACCENT, coord, nice_ceiling, svg, text, y_grid

from ..services.earnings import MonthTotal

PLOT_HEIGHT = 160.0
SLOT = 86.0
BAR_WIDTH = 44.0
LEFT = 56.0
TOP = 20.0
BOTTOM = 34.0
TICKS = 4


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.0f}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def _nice_ceiling(cents: int) -> int:
    """The axis top: TICKS equal steps of a readable whole-dollar amount covering the largest
    month. 2.5 is a step too, so that $1,000 ticks at 250 rather than jumping to 500."""
    if cents <= 0:
        return 100 * TICKS
    step = nice_ceiling(cents / TICKS, steps=(1, 2, 2.5, 5))
    step = max(100, math.ceil(step / 100) * 100)  # cents labels would read as noise
    return int(step * TICKS)


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
    parts: list[SafeString] = [
        y_grid(
            LEFT,
            width - 8,
            (
                (base - PLOT_HEIGHT * i / TICKS, _dollars(top * i // TICKS))
                for i in range(TICKS + 1)
            ),
            stroke_width=1,
        )
    ]
    for i, month in enumerate(months):
        bar_h = PLOT_HEIGHT * month.net_cents / top
        x = LEFT + SLOT * i + (SLOT - BAR_WIDTH) / 2
        cx = x + BAR_WIDTH / 2
        label = _month_label(month.period)
        if label == "Jan" or i == 0:
            label = f"{label} {month.period[2:4]}"
        value_text = (
            text(cx, base - bar_h - 4, _dollars(month.net_cents))
            if month.net_cents
            else SafeString("")
        )
        parts.append(
            format_html(
                '<g class="bar"><title>{}: {}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}" data-period="{}" '
                'data-cents="{}"/>{}{}</g>',
                month.period,
                _dollars(month.net_cents),
                coord(x),
                coord(base - bar_h),
                coord(BAR_WIDTH),
                coord(bar_h),
                ACCENT,
                month.period,
                month.net_cents,
                value_text,
                text(cx, base + 16, label, size=11),
            )
        )
    return svg(css="chart earnings-chart", width=width, height=height, title=title, body=parts)
