"""Server-side charts for the model page: small inline SVGs and a confusion heat-map table.

Every piece of markup goes through `format_html`, so labels (category names come from the
customer's data) are escaped and the result is a SafeString the template can print as is.
The metrics JSON of older or failed versions may lack any key; these helpers take what they
find and return empty output instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.svg import ACCENT, MUTED, coord, line, nice_ceiling, svg, text, y_grid, y_tick_label
from common.svg import SVG_NS as SVG_NS  # kept here for whoever parses these charts' output


def _num(value: Any) -> float | None:
    """A finite float, or None for anything else (missing keys, strings, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _clamp01(value: float) -> float:
    return max(0.0, min(1.0, value))


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else f"{label[: limit - 1]}…"


# ---------------------------------------------------------------- per-class bars


def per_class_f1(metrics: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(label, F1) in the metrics' class order; classes without a numeric F1 are left out."""
    per_class = metrics.get("per_class")
    if not isinstance(per_class, Mapping):
        return []
    labels = metrics.get("labels")
    order = [str(x) for x in labels] if isinstance(labels, list) else [str(k) for k in per_class]
    out = []
    for label in order:
        row = per_class.get(label)
        f1 = _num(row.get("f1")) if isinstance(row, Mapping) else None
        if f1 is not None:
            out.append((label, _clamp01(f1)))
    return out


BAR_PLOT_HEIGHT = 180.0
BAR_SLOT = 56.0
BAR_WIDTH = 34.0
BAR_LEFT = 40.0
BAR_TOP = 18.0
BAR_BOTTOM = 74.0  # room for slanted labels


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, max_value: float = 1.0
) -> SafeString:
    """Vertical bars, one per (label, value), heights proportional to value / max_value."""
    if not items or max_value <= 0:
        return SafeString("")
    width = BAR_LEFT + BAR_SLOT * len(items) + 12
    height = BAR_TOP + BAR_PLOT_HEIGHT + BAR_BOTTOM
    base = BAR_TOP + BAR_PLOT_HEIGHT
    ticks = (0.0, 0.25, 0.5, 0.75, 1.0)
    body: list[SafeString] = [
        y_grid(
            BAR_LEFT,
            width - 8,
            ((base - BAR_PLOT_HEIGHT * tick, f"{tick * max_value:g}") for tick in ticks),
            stroke_width=1,
        )
    ]
    for i, (label, raw) in enumerate(items):
        value = max(0.0, min(max_value, _num(raw) or 0.0))
        bar_h = BAR_PLOT_HEIGHT * value / max_value
        x = BAR_LEFT + BAR_SLOT * i + (BAR_SLOT - BAR_WIDTH) / 2
        cx = x + BAR_WIDTH / 2
        body.append(
            format_html(
                '<g class="bar"><title>{}: {}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}" data-value="{}"/>'
                "{}{}</g>",
                label,
                f"{value:.3f}",
                coord(x),
                coord(base - bar_h),
                coord(BAR_WIDTH),
                coord(bar_h),
                ACCENT,
                f"{value:.4f}",
                text(cx, base - bar_h - 4, f"{value:.2f}"),
                text(cx + 4, base + 14, _short(label), size=11, anchor="end", rotate=-35),
            )
        )
    return svg(css="chart chart-bars", width=width, height=height, title=title, body=body)


# ---------------------------------------------------------------- reliability diagram

REL_SIZE = 240.0
REL_LEFT = 46.0
REL_TOP = 12.0
REL_BOTTOM = 40.0


def reliability_bins(metrics: Mapping[str, Any]) -> list[dict[str, float]]:
    """The well-formed, non-empty bins of metrics["reliability"], values clamped to [0, 1].

    The engine keeps all ten bins, empty ones with count 0 and accuracy 0, so that reports line
    up bin for bin; drawn, an empty bin would read as "always wrong" at that confidence."""
    raw = metrics.get("reliability")
    if not isinstance(raw, list):
        return []
    bins = []
    for b in raw:
        if not isinstance(b, Mapping):
            continue
        values = {k: _num(b.get(k)) for k in ("lower", "upper", "confidence", "accuracy", "count")}
        if values["confidence"] is None or values["accuracy"] is None:
            continue
        if values["count"] is not None and values["count"] <= 0:
            continue
        lower = values["lower"] if values["lower"] is not None else values["confidence"]
        upper = values["upper"] if values["upper"] is not None else values["confidence"]
        bins.append(
            {
                "lower": _clamp01(lower),
                "upper": _clamp01(upper),
                "confidence": _clamp01(values["confidence"]),
                "accuracy": _clamp01(values["accuracy"]),
                "count": max(0.0, values["count"] or 0.0),
            }
        )
    return bins


def reliability_diagram(bins: Sequence[Mapping[str, float]], *, title: str) -> SafeString:
    """Accuracy per confidence bin (bars over the bin's range, a dot at the bin's mean
    confidence) against the diagonal of perfect calibration."""
    if not bins:
        return SafeString("")
    width = REL_LEFT + REL_SIZE + 16
    height = REL_TOP + REL_SIZE + REL_BOTTOM
    base = REL_TOP + REL_SIZE

    def px(value: float) -> float:
        return REL_LEFT + REL_SIZE * value

    def py(value: float) -> float:
        return base - REL_SIZE * value

    body: list[SafeString] = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        body += [
            line(px(0), py(tick), px(1), py(tick)),
            line(px(tick), py(0), px(tick), py(1)),
            y_tick_label(REL_LEFT, py(tick), f"{tick:g}"),
            text(px(tick), base + 14, f"{tick:g}", fill=MUTED),
        ]
    for b in bins:
        x0, x1 = px(b["lower"]), px(b["upper"])
        body.append(
            format_html(
                '<g class="bin"><title>{}–{}: accuracy {} at confidence {} ({} tickets)</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.18" '
                'stroke="{}" stroke-opacity="0.5"/>'
                '<circle cx="{}" cy="{}" r="4" fill="{}"/></g>',
                f"{b['lower']:.1f}",
                f"{b['upper']:.1f}",
                f"{b['accuracy']:.2f}",
                f"{b['confidence']:.2f}",
                f"{int(b['count'])}",
                coord(x0),
                coord(py(b["accuracy"])),
                coord(max(x1 - x0, 1.0)),
                coord(REL_SIZE * b["accuracy"]),
                ACCENT,
                ACCENT,
                coord(px(b["confidence"])),
                coord(py(b["accuracy"])),
                ACCENT,
            )
        )
    body += [
        format_html(
            '<line class="diagonal" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
            'stroke-dasharray="4 4" stroke-width="1.5"/>',
            coord(px(0)),
            coord(py(0)),
            coord(px(1)),
            coord(py(1)),
            MUTED,
        ),
        text(px(0.5), base + 32, "Confidence", size=11),
        text(14, py(0.5), "Accuracy", size=11, rotate=-90),
    ]
    return svg(css="chart chart-reliability", width=width, height=height, title=title, body=body)


# ---------------------------------------------------------------- confusion matrix


# The cell's shade comes in this many steps, each a CSS class (heat-0 … heat-20 in ml.css):
# a class, because the Content-Security-Policy refuses style="" attributes.
HEAT_STEPS = 20


@dataclass(frozen=True)
class ConfusionCell:
    count: int
    heat: float  # share of the true label's row, 0..1, drives the cell's shade
    correct: bool
    predicted: str

    @property
    def heat_step(self) -> int:
        return round(min(max(self.heat, 0.0), 1.0) * HEAT_STEPS)


@dataclass(frozen=True)
class ConfusionRow:
    label: str
    total: int
    cells: list[ConfusionCell]


def confusion_rows(metrics: Mapping[str, Any]) -> list[ConfusionRow]:
    """Rows (true labels) of metrics["confusion"] with each cell's share of its row; empty
    when the matrix does not match the labels."""
    labels = metrics.get("labels")
    matrix = metrics.get("confusion")
    if not isinstance(labels, list) or not isinstance(matrix, list) or not labels:
        return []
    n = len(labels)
    if len(matrix) != n or any(not isinstance(r, list) or len(r) != n for r in matrix):
        return []
    rows = []
    for i, (label, raw_row) in enumerate(zip(labels, matrix, strict=True)):
        counts = [max(0, int(_num(c) or 0)) for c in raw_row]
        total = sum(counts)
        rows.append(
            ConfusionRow(
                label=str(label),
                total=total,
                cells=[
                    ConfusionCell(
                        count=c,
                        heat=round(c / total, 3) if total else 0.0,
                        correct=i == j,
                        predicted=str(labels[j]),
                    )
                    for j, c in enumerate(counts)
                ],
            )
        )
    return rows


# ---------------------------------------------------------------- monitoring: one bar per week

WEEK_PLOT_HEIGHT = 120.0
WEEK_LEFT = 40.0
WEEK_TOP = 14.0
WEEK_BOTTOM = 26.0
WEEK_SLOT = 30.0
WEEK_BAR = 20.0


def week_bars(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    share: bool = False,
    threshold: float | None = None,
) -> SafeString:
    """One bar per (week label, value); a week without a value (too few tickets, nothing
    measured) is a gap, not a zero. `share`: values are 0..1 on a fixed axis, printed as
    percentages; otherwise the axis ends at a round number above the largest value. A
    `threshold` is drawn as a dashed line (the alert's). Empty when no week has a value."""
    values = [v for _label, v in points if v is not None]
    if not values:
        return SafeString("")
    top = 1.0 if share else (nice_ceiling(max(values)) or 1.0)
    width = WEEK_LEFT + WEEK_SLOT * len(points) + 8
    base = WEEK_TOP + WEEK_PLOT_HEIGHT
    height = base + WEEK_BOTTOM

    def fmt(value: float) -> str:
        return f"{value:.0%}" if share else f"{value:g}"

    body: list[SafeString] = [
        y_grid(
            WEEK_LEFT,
            width - 4,
            ((base - WEEK_PLOT_HEIGHT * tick, fmt(top * tick)) for tick in (0.0, 0.5, 1.0)),
        )
    ]
    for i, (label, raw) in enumerate(points):
        x = WEEK_LEFT + WEEK_SLOT * i + (WEEK_SLOT - WEEK_BAR) / 2
        # Every other week from the last one on: twelve labels don't fit under the bars.
        show_label = len(points) <= 6 or (len(points) - 1 - i) % 2 == 0
        tick = text(x + WEEK_BAR / 2, base + 14, label, size=9) if show_label else ""
        if raw is None:
            body.append(format_html('<g class="week gap" data-week="{}">{}</g>', label, tick))
            continue
        value = max(0.0, min(top, float(raw)))
        h = WEEK_PLOT_HEIGHT * value / top
        body.append(
            format_html(
                '<g class="week" data-week="{}"><title>{}: {}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}" data-value="{}"/>'
                "{}</g>",
                label,
                label,
                fmt(float(raw)),
                coord(x),
                coord(base - h),
                coord(WEEK_BAR),
                coord(h),
                ACCENT,
                f"{float(raw):.4f}",
                tick,
            )
        )
    if threshold is not None and 0 <= threshold <= top:
        y = base - WEEK_PLOT_HEIGHT * threshold / top
        body.append(
            format_html(
                '<line class="threshold" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#c2410c" '
                'stroke-dasharray="4 3" stroke-width="1.5"><title>alert threshold {}</title>'
                "</line>",
                coord(WEEK_LEFT),
                coord(y),
                coord(width - 4),
                coord(y),
                fmt(threshold),
            )
        )
    return svg(
        css="chart chart-weeks", width=width, height=height, title=title, body=body, fluid=True
    )
