"""The usage page's chart: one inline SVG bar per day, stacked by kind, drawn server-side in
the model page's style (ml/charts.py): escaped through format_html, no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..services.rating import DayUsage

SVG_NS = "http://www.w3.org/2000/svg"
GRID = "#e3e6ef"
MUTED = "#8a93ad"
TEXT = "#2b3354"
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


def _f(value: float) -> str:
    return f"{value:.1f}"


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= value:
                return step * m
        step *= 10


def usage_by_day(days: Sequence[DayUsage], *, title: str) -> SafeString:
    """Stacked bars per day; empty output when there is no usage at all."""
    peak = max((d.total for d in days), default=0)
    if peak == 0:
        return SafeString("")
    top = _nice_max(peak)
    width = LEFT + SLOT * len(days) + 8
    base = TOP + PLOT_HEIGHT
    height = base + BOTTOM
    body: list[SafeString] = []
    for tick in (0.0, 0.5, 1.0):
        y = base - PLOT_HEIGHT * tick
        body.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="{}">{}</text>',
                _f(LEFT),
                _f(y),
                _f(width - 4),
                _f(y),
                GRID,
                _f(LEFT - 6),
                _f(y + 3.5),
                MUTED,
                f"{top * tick:g}",
            )  # fmt: skip
        )
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
                    _f(x),
                    _f(y),
                    _f(BAR),
                    _f(h),
                    colour,
                    attr,
                    count,
                    day.day.strftime("%b %-d"),
                    label,
                    count,
                )  # fmt: skip
            )
        label_every = 1 if len(days) <= 16 else 5
        show = day.day.day == 1 or day.day.day % label_every == 0
        body.append(
            format_html(
                '<g class="day" data-day="{}">{}{}</g>',
                day.day.isoformat(),
                format_html_join("", "{}", ((p,) for p in parts)),
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text>',
                    _f(x + BAR / 2),
                    _f(base + 14),
                    TEXT,
                    day.day.day,
                )  # fmt: skip
                if show
                else "",
            )
        )
    return format_html(
        '<svg xmlns="{}" class="chart chart-usage" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        SVG_NS, _f(width), _f(height), title, title,
        format_html_join("", "{}", ((p,) for p in body)),
    )  # fmt: skip


def legend() -> list[tuple[str, str]]:
    return [(label, colour) for _attr, label, colour in SERIES]
