"""The building blocks of the server-side SVG charts (billing's usage and earnings pages, the
model page): one palette, one number format and the same markup for grid lines, labels and the
outer element, so that every chart reads as one family.

Everything goes through `format_html`, so text (category names come from customers' data) is
escaped and each helper returns a SafeString a template can print as is. Layout (plot sizes,
bars, what the ticks say) stays with each chart."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SVG_NS = "http://www.w3.org/2000/svg"
ACCENT = "#2f5bd3"
MUTED = "#8a93ad"
GRID = "#e3e6ef"
TEXT = "#2b3354"


def coord(value: float) -> str:
    """A coordinate or length: one decimal is plenty and keeps the markup short."""
    return f"{value:.1f}"


def join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((p,) for p in parts))


def nice_ceiling(value: float, steps: Sequence[float] = (1, 2, 5)) -> float:
    """The smallest `step × 10ⁿ` at or above `value`, so that an axis ends on a number that
    reads well (…, 0.5, 1, 2, 5, 10, 20, …); 0 for nothing to scale, so each chart chooses its
    own empty axis. `steps` ascend within [1, 10)."""
    if value <= 0:
        return 0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in steps:
        if value <= step * magnitude:
            return step * magnitude
    # Also reached when `value` is a power of ten whose logarithm came out a hair below the
    # integer, leaving `magnitude` one decade short.
    return 10 * magnitude


def line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    stroke: str = GRID,
    stroke_width: float | None = None,
) -> SafeString:
    """A line; without `stroke_width` it draws at SVG's default width of 1."""
    width = (
        format_html(' stroke-width="{}"', f"{stroke_width:g}") if stroke_width is not None else ""
    )
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"{}/>',
        coord(x1),
        coord(y1),
        coord(x2),
        coord(y2),
        stroke,
        width,
    )


def text(
    x: float,
    y: float,
    content: object,
    *,
    size: int = 10,
    anchor: str = "middle",
    fill: str = TEXT,
    rotate: float | None = None,
) -> SafeString:
    """A label at (x, y); `rotate` turns it (degrees) about that same point, as slanted axis
    labels need."""
    transform = (
        format_html(' transform="rotate({} {} {})"', f"{rotate:g}", coord(x), coord(y))
        if rotate is not None
        else ""
    )
    return format_html(
        '<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}"{}>{}</text>',
        coord(x),
        coord(y),
        size,
        anchor,
        fill,
        transform,
        content,
    )


def y_tick_label(left: float, y: float, label: str) -> SafeString:
    """A value axis label, right-aligned just left of the plot; +3.5 centres 10px digits on
    their grid line."""
    return text(left - 6, y + 3.5, label, anchor="end", fill=MUTED)


def y_grid(
    left: float,
    right: float,
    ticks: Iterable[tuple[float, str]],
    *,
    stroke_width: float | None = None,
) -> SafeString:
    """A horizontal grid line from `left` to `right` at each (y, label) of `ticks`, labelled
    on the left."""
    return join(
        format_html(
            "{}{}",
            line(left, y, right, y, stroke_width=stroke_width),
            y_tick_label(left, y, label),
        )
        for y, label in ticks
    )


def svg(
    *,
    css: str,
    width: float,
    height: float,
    title: str,
    body: Iterable[SafeString],
    fluid: bool = False,
) -> SafeString:
    """The outer element, titled for screen readers. A `fluid` chart fills its container's
    width and scales its height to match instead of keeping its drawn size."""
    size = (
        SafeString('width="100%" preserveAspectRatio="xMinYMin meet"')
        if fluid
        else format_html('width="{}" height="{}"', coord(width), coord(height))
    )
    return format_html(
        '<svg xmlns="{}" class="{}" viewBox="0 0 {} {}" {} role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        SVG_NS,
        css,
        coord(width),
        coord(height),
        size,
        title,
        title,
        join(body),
    )
