"""The shared SVG chart primitives: readable axis tops, one number format, escaped text and
well-formed markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from common import svg

NS = {"svg": svg.SVG_NS}


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup


def _fragment(markup: str) -> ET.Element:
    """Elements without the outer <svg>, wrapped so that they parse as one document."""
    return ET.fromstring(f"<g>{markup}</g>")  # noqa: S314 - our own markup


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (2, 2),
        (3, 5),
        (7, 10),
        (10, 10),
        (11, 20),
        (40, 50),
        (51, 100),
        (999, 1000),
        (1000, 1000),
        (1001, 2000),
        (0.3, 0.5),
        (0.07, 0.1),
        (10**15, 10**15),
        (10**15 + 1, 2 * 10**15),
    ],
)
def test_nice_ceiling_rounds_up_to_one_two_five_times_a_power_of_ten(value, expected):
    assert svg.nice_ceiling(value) == pytest.approx(expected)


def test_nice_ceiling_takes_other_steps():
    assert svg.nice_ceiling(220, steps=(1, 2, 2.5, 5)) == 250
    assert svg.nice_ceiling(220) == 500
    assert svg.nice_ceiling(600, steps=(1, 2, 2.5, 5)) == 1000


def test_nice_ceiling_of_nothing_is_zero():
    assert svg.nice_ceiling(0) == 0
    assert svg.nice_ceiling(-42) == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0.0"), (3, "3.0"), (3.14159, "3.1"), (2.96, "3.0"), (-6.04, "-6.0"), (1e6, "1000000.0")],
)
def test_coordinates_have_one_decimal(value, expected):
    assert svg.coord(value) == expected


def test_text_escapes_its_content_and_formats_its_position():
    out = svg.text(10, 20.25, '<script>alert("x")</script> & co')
    assert isinstance(out, SafeString)
    assert "<script>" not in out
    assert "&lt;script&gt;" in out and "&amp; co" in out
    el = _fragment(out)[0]
    assert el.tag == "text"
    assert el.attrib == {
        "x": "10.0",
        "y": "20.2",
        "font-size": "10",
        "text-anchor": "middle",
        "fill": svg.TEXT,
    }
    assert el.text == '<script>alert("x")</script> & co'


def test_rotated_text_turns_about_its_own_anchor():
    el = _fragment(svg.text(12, 40, "Accuracy", size=11, anchor="end", rotate=-35))[0]
    assert el.get("transform") == "rotate(-35 12.0 40.0)"
    assert el.get("font-size") == "11"
    assert el.get("text-anchor") == "end"


def test_line_writes_a_stroke_width_only_when_given():
    plain = _fragment(svg.line(0, 1.04, 100, 1.06))[0]
    assert plain.attrib == {
        "x1": "0.0",
        "y1": "1.0",
        "x2": "100.0",
        "y2": "1.1",
        "stroke": svg.GRID,
    }
    assert _fragment(svg.line(0, 0, 1, 1, stroke_width=1))[0].get("stroke-width") == "1"
    assert _fragment(svg.line(0, 0, 1, 1, stroke_width=1.5))[0].get("stroke-width") == "1.5"


def test_y_grid_draws_a_labelled_line_per_tick():
    root = _fragment(svg.y_grid(40, 300, [(180.0, "0"), (90.0, "5"), (0.0, "<10>")]))
    lines = root.findall("line")
    labels = root.findall("text")
    assert [(el.get("x1"), el.get("x2"), el.get("y1"), el.get("y2")) for el in lines] == [
        ("40.0", "300.0", "180.0", "180.0"),
        ("40.0", "300.0", "90.0", "90.0"),
        ("40.0", "300.0", "0.0", "0.0"),
    ]
    assert all(el.get("stroke") == svg.GRID for el in lines)
    assert [el.text for el in labels] == ["0", "5", "<10>"]
    # Right-aligned just left of the plot, each on its own line.
    assert {el.get("x") for el in labels} == {"34.0"}
    assert [el.get("y") for el in labels] == ["183.5", "93.5", "3.5"]
    assert {el.get("text-anchor") for el in labels} == {"end"}
    assert {el.get("fill") for el in labels} == {svg.MUTED}
    # Each line is followed by its own label.
    assert [el.tag for el in root] == ["line", "text"] * 3


def test_y_grid_of_no_ticks_is_empty():
    assert svg.y_grid(0, 10, []) == ""


def test_svg_wraps_the_body_in_a_titled_element_of_its_drawn_size():
    body = [svg.text(5, 5, "a"), svg.line(0, 0, 10, 10)]
    root = _parse(svg.svg(css="chart x", width=120, height=80.25, title="F1 <b>&</b>", body=body))
    assert root.tag == f"{{{svg.SVG_NS}}}svg"
    assert root.get("class") == "chart x"
    assert root.get("viewBox") == "0 0 120.0 80.2"
    assert (root.get("width"), root.get("height")) == ("120.0", "80.2")
    assert root.get("role") == "img"
    assert root.get("aria-label") == "F1 <b>&</b>"
    title = root.find("svg:title", NS)
    assert title is not None
    assert title.text == "F1 <b>&</b>"
    assert [child.tag.split("}")[1] for child in root] == ["title", "text", "line"]


def test_fluid_svg_fills_its_container_instead_of_a_fixed_size():
    root = _parse(svg.svg(css="c", width=300, height=200, title="t", body=[], fluid=True))
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("preserveAspectRatio") == "xMinYMin meet"
    assert root.get("viewBox") == "0 0 300.0 200.0"


def test_join_concatenates_safe_parts_without_escaping_them_again():
    parts = [svg.text(0, 0, "a & b"), SafeString("<g/>")]
    joined = svg.join(parts)
    assert isinstance(joined, SafeString)
    assert joined == f"{parts[0]}<g/>"
    assert "&amp;amp;" not in joined
