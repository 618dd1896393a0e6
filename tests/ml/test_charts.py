"""The model page's server-side charts: well-formed SVG, escaped labels, honest geometry."""

import xml.etree.ElementTree as ET

import pytest

from ml import charts
from ml.engine import classification_report

NS = {"svg": charts.SVG_NS}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 — our own output, parsed to check it is well-formed


def _num(element: ET.Element, name: str) -> float:
    value = element.get(name)
    assert value is not None, name
    return float(value)


def test_bar_chart_is_well_formed_and_heights_are_proportional():
    svg = charts.bar_chart([("network", 0.9), ("hardware", 0.45), ("email", 0.0)], title="F1")
    root = _parse(svg)
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    assert [t.text for t in root.findall("svg:title", NS)] == ["F1"]
    bars = root.findall(".//svg:g[@class='bar']/svg:rect", NS)
    heights = [_num(b, "height") for b in bars]
    assert len(heights) == 3
    assert heights[0] == pytest.approx(charts.BAR_PLOT_HEIGHT * 0.9, abs=0.1)
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2)
    assert heights[2] == 0
    # Every bar stands on the same baseline.
    bottoms = {round(_num(b, "y") + _num(b, "height"), 1) for b in bars}
    assert len(bottoms) == 1


def test_bar_chart_clamps_values_and_handles_nothing():
    root = _parse(charts.bar_chart([("a", 1.7), ("b", -3)], title="t"))
    heights = [_num(r, "height") for r in root.findall(".//svg:g/svg:rect", NS)]
    assert heights == [pytest.approx(charts.BAR_PLOT_HEIGHT), 0]
    assert charts.bar_chart([], title="t") == ""


def test_labels_are_escaped():
    evil = "<script>alert('x')</script>"
    svg = charts.bar_chart([(evil, 0.5), ('a "quoted" & <b>', 0.2)], title="<i>F1</i>")
    assert "<script>" not in svg
    assert "<b>" not in svg and "<i>" not in svg
    root = _parse(svg)  # still well-formed with the hostile labels
    titles = [t.text for t in root.iter(f"{{{charts.SVG_NS}}}title")]
    assert "<i>F1</i>" in titles
    assert f"{evil}: 0.500" in titles  # the full label survives as text in the tooltip

    rel = charts.reliability_diagram(
        [{"lower": 0, "upper": 1, "confidence": 0.5, "accuracy": 0.5, "count": 3}], title=evil
    )
    assert "<script>" not in rel
    _parse(rel)


def test_reliability_diagram_has_the_diagonal_and_one_point_per_bin():
    metrics = {
        "reliability": [
            {"lower": 0.4, "upper": 0.6, "confidence": 0.52, "accuracy": 0.4, "count": 10},
            {"lower": 0.8, "upper": 0.9, "confidence": 0.85, "accuracy": 0.9, "count": 30},
            {"lower": 0.9, "upper": 1.0, "confidence": "bad", "accuracy": 0.9, "count": 1},
            "not a bin",
        ]
    }
    bins = charts.reliability_bins(metrics)
    assert len(bins) == 2
    root = _parse(charts.reliability_diagram(bins, title="Reliability"))
    diagonal = root.find(".//svg:line[@class='diagonal']", NS)
    assert diagonal is not None
    x1, y1, x2, y2 = (_num(diagonal, k) for k in ("x1", "y1", "x2", "y2"))
    # The diagonal runs from (0, 0) bottom-left to (1, 1) top-right of the plot.
    assert x1 < x2 and y1 > y2
    points = root.findall(".//svg:g[@class='bin']/svg:circle", NS)
    assert len(points) == 2
    # A higher accuracy sits higher (smaller y); a higher confidence further right.
    assert _num(points[1], "cy") < _num(points[0], "cy")
    assert _num(points[1], "cx") > _num(points[0], "cx")
    assert charts.reliability_diagram([], title="x") == ""


def test_empty_reliability_bins_are_not_drawn():
    # The engine reports all ten bins; an empty one (count 0, accuracy 0) has nothing to show.
    report = classification_report(["a", "a", "b"], ["a", "b", "b"], [0.95, 0.55, 0.92])
    assert len(report["reliability"]) == 10
    bins = charts.reliability_bins(report)
    assert [(b["lower"], b["count"]) for b in bins] == [(0.5, 1.0), (0.9, 2.0)]
    root = _parse(charts.reliability_diagram(bins, title="Reliability"))
    assert len(root.findall(".//svg:g[@class='bin']", NS)) == 2
    # Metrics stored without counts still draw every bin they have.
    assert len(charts.reliability_bins({"reliability": [{"confidence": 0.5, "accuracy": 1}]})) == 1


def test_per_class_f1_follows_label_order_and_skips_broken_rows():
    metrics = {
        "labels": ["b", "a", "c"],
        "per_class": {"a": {"f1": 0.5}, "b": {"f1": 0.75}, "c": {"precision": 1.0}},
    }
    assert charts.per_class_f1(metrics) == [("b", 0.75), ("a", 0.5)]
    assert charts.per_class_f1({}) == []
    assert charts.per_class_f1({"per_class": "oops"}) == []


def test_confusion_rows_shade_by_row_share_and_reject_mismatched_shapes():
    rows = charts.confusion_rows({"labels": ["a", "b"], "confusion": [[3, 1], [0, 0]]})
    assert [r.label for r in rows] == ["a", "b"]
    assert rows[0].total == 4
    assert [c.heat for c in rows[0].cells] == [0.75, 0.25]
    assert [c.correct for c in rows[0].cells] == [True, False]
    assert rows[0].cells[1].predicted == "b"
    assert [c.heat for c in rows[1].cells] == [0.0, 0.0]
    assert charts.confusion_rows({"labels": ["a", "b"], "confusion": [[1, 2]]}) == []
    assert charts.confusion_rows({"labels": ["a"]}) == []
