"""The Reports page's charts: stacked bars per day or week, and the deflection trend (a line
over the resolved tickets' bars), drawn server-side with common.svg like the Usage page's —
escaped through format_html, no JavaScript, no inline style."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.svg import ACCENT, coord, join, nice_ceiling, svg, text, y_grid

# One palette for every series; categories beyond it share the last colour ("Other").
PALETTE = ("#2f5bd3", "#e08a1e", "#6b3fc2", "#1d9a6c", "#c0392b", "#9fb3e8", "#b8860b", "#8a93ad")
RESOLVER_COLOURS = {"ai": "#1d9a6c", "expert": "#6b3fc2", "internal": "#9fb3e8"}
MAX_SERIES = len(PALETTE)

PLOT_HEIGHT = 170.0
LEFT = 40.0
RIGHT = 40.0
TOP = 14.0
BOTTOM = 26.0
PLOT_WIDTH = 640.0


Series = tuple[str, str, str, Sequence[int]]  # key, label, colour, values per bucket


def top_series(values: dict[str, list[int]], labels: dict[str, str] | None = None) -> list[Series]:
    """The largest series first, at most MAX_SERIES, the rest summed into "Other"."""
    ranked = sorted(values.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    kept, rest = ranked[: MAX_SERIES - 1], ranked[MAX_SERIES - 1 :]
    if len(rest) == 1:
        kept, rest = ranked, []
    out: list[Series] = [
        (key, (labels or {}).get(key, key), PALETTE[i], counts)
        for i, (key, counts) in enumerate(kept)
    ]
    if rest:
        summed = [sum(col) for col in zip(*(counts for _, counts in rest), strict=True)]
        out.append(("other", "Other", PALETTE[-1], summed))
    return out


def _label_every(count: int) -> int:
    return 1 if count <= 16 else 7 if count <= 62 else 4


def _bucket_label(day: date, bucket: str) -> str:
    return day.strftime("%b %-d") if bucket == "week" else str(day.day)


def stacked_bars(
    buckets: Sequence[date],
    series: Sequence[Series],
    *,
    bucket: str,
    title: str,
    css: str,
    rate: Sequence[float | None] | None = None,
) -> SafeString:
    """Stacked bars per bucket, bottom to top in `series` order; `rate` (0..1 per bucket)
    draws a line on a 0–100 % axis on the right. Empty output when every value is zero."""
    heights = [sum(s[3][i] for s in series) for i in range(len(buckets))]
    peak = max(heights, default=0)
    if peak == 0:
        return SafeString("")
    top = nice_ceiling(peak)
    slot = PLOT_WIDTH / max(1, len(buckets))
    bar = max(2.0, slot * 0.7)
    width = LEFT + PLOT_WIDTH + (RIGHT if rate is not None else 8)
    base = TOP + PLOT_HEIGHT
    body: list[SafeString] = [
        y_grid(
            LEFT,
            LEFT + PLOT_WIDTH,
            ((base - PLOT_HEIGHT * tick, f"{top * tick:g}") for tick in (0.0, 0.5, 1.0)),
        )
    ]
    every = _label_every(len(buckets))
    for i, day in enumerate(buckets):
        x = LEFT + slot * i + (slot - bar) / 2
        y = base
        parts: list[SafeString] = []
        for key, label, colour, values in series:
            count = int(values[i])
            if not count:
                continue
            h = PLOT_HEIGHT * count / top
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-series="{}" '
                    'data-value="{}"><title>{} {}: {}</title></rect>',
                    coord(x),
                    coord(y),
                    coord(bar),
                    coord(h),
                    colour,
                    key,
                    count,
                    day.strftime("%b %-d"),
                    label,
                    count,
                )  # fmt: skip
            )
        body.append(
            format_html(
                '<g class="bucket" data-bucket="{}">{}{}</g>',
                day.isoformat(),
                join(parts),
                text(x + bar / 2, base + 14, _bucket_label(day, bucket)) if i % every == 0 else "",
            )
        )
    if rate is not None:
        body.append(_rate_line(buckets, rate, slot=slot, base=base))
    return svg(
        css=f"chart {css}", width=width, height=base + BOTTOM, title=title, body=body, fluid=True
    )


def _rate_line(
    buckets: Sequence[date], rate: Sequence[float | None], *, slot: float, base: float
) -> SafeString:
    points = [
        (LEFT + slot * i + slot / 2, base - PLOT_HEIGHT * r, r, buckets[i])
        for i, r in enumerate(rate)
        if r is not None
    ]
    right = LEFT + PLOT_WIDTH + 6
    axis = join(
        text(right, base - PLOT_HEIGHT * t + 3.5, f"{round(t * 100)}%", anchor="start", fill=ACCENT)
        for t in (0.0, 0.5, 1.0)
    )
    if not points:
        return axis
    path = " ".join(f"{coord(x)},{coord(y)}" for x, y, _, _ in points)
    dots = join(
        format_html(
            '<circle cx="{}" cy="{}" r="3" fill="{}" data-rate="{}"><title>{}: {}% deflected'
            "</title></circle>",
            coord(x),
            coord(y),
            ACCENT,
            f"{r:.3f}",
            day.strftime("%b %-d"),
            round(r * 100),
        )  # fmt: skip
        for x, y, r, day in points
    )
    return format_html(
        '{}<polyline class="rate" points="{}" fill="none" stroke="{}" stroke-width="2"/>{}',
        axis,
        path,
        ACCENT,
        dots,
    )


def legend(series: Sequence[Series]) -> list[tuple[str, str]]:
    return [(label, colour) for _key, label, colour, _values in series]
