"""The usage page's chart: one inline SVG bar per day, stacked by kind, drawn server-side with
common.svg like the model page's charts: escaped through format_html, no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.svg import coord, join, nice_ceiling, svg, text, y_grid

from ..services.rating import DayUsage

# (attribute of DayUsage, legend label, colour): bottom to top of each stack.
SERIES = (
    ("ai_included", "AI answers (included)", "#2f5bd3"),
    ("ai_overage", "AI answers (overage)", "#e08a1e"),
    ("expert_answers", "Expert answers", "#6b3fc2"),
    ("api_calls", "API calls", "#9fb3e8"),
)

PLOT_HEIGHT = 170.0
LEFT = 40.0
TOP = 14.0
BOTTOM = 26.0
SLOT = 22.0
BAR = 15.0


def usage_by_day(days: Sequence[DayUsage], *, title: str) -> SafeString:
    """Stacked bars per day; empty output when there is no usage at all."""
    peak = max((d.total for d in days), default=0)
    if peak == 0:
        return SafeString("")
    top = nice_ceiling(peak)
    width = LEFT + SLOT * len(days) + 8
    base = TOP + PLOT_HEIGHT
    height = base + BOTTOM
    body: list[SafeString] = [
        y_grid(
            LEFT,
            width - 4,
            ((base - PLOT_HEIGHT * tick, f"{top * tick:g}") for tick in (0.0, 0.5, 1.0)),
        )
    ]
    for i, day in enumerate(days):
        x = LEFT + SLOT * i + (SLOT - BAR) / 2
        y = base
        parts: list[SafeString] = []
        for attr, label, colour in SERIES:
            count = int(getattr(day, attr))
            if not count:
                continue
            h = PLOT_HEIGHT * count / top
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-kind="{}" '
                    'data-value="{}"><title>{} {}: {}</title></rect>',
                    coord(x),
                    coord(y),
                    coord(BAR),
                    coord(h),
                    colour,
                    attr,
                    count,
                    day.day.strftime("%b %-d"),
                    label,
                    count,
                )
            )
        label_every = 1 if len(days) <= 16 else 5
        show = day.day.day == 1 or day.day.day % label_every == 0
        body.append(
            format_html(
                '<g class="day" data-day="{}">{}{}</g>',
                day.day.isoformat(),
                join(parts),
                text(x + BAR / 2, base + 14, day.day.day) if show else "",
            )
        )
    return svg(
        css="chart chart-usage", width=width, height=height, title=title, body=body, fluid=True
    )


def legend() -> list[tuple[str, str]]:
    return [(label, colour) for _attr, label, colour in SERIES]
