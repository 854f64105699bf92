"""The SVG chart renderer: empty data, one point, gaps, constant values, hostile text, valid XML."""

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from telemetry.charts import chart_points, line_chart

SVG = "{http://www.w3.org/2000/svg}"
END = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
START = END - timedelta(hours=1)


def row(minutes: float, mean, low=None, high=None) -> dict:
    return {"t": START + timedelta(minutes=minutes), "count": 1, "min": low, "max": high, "mean": mean, "last": mean}


def render(series, **kwargs) -> ET.Element:
    svg = line_chart(series, start=START, end=END, step_seconds=60, title=kwargs.pop("title", "temp"), **kwargs)
    return ET.fromstring(svg)  # noqa: S314 - our own renderer's output, not untrusted XML


def test_empty_series_says_no_data_and_draws_no_line():
    root = render([])
    assert "No data" in "".join(root.itertext())
    assert root.findall(f"{SVG}polyline") == []
    assert root.findall(f"{SVG}circle") == []


def test_a_single_point_is_a_dot_with_its_band():
    root = render([row(30, 5.0, 4.0, 6.0)])
    assert len(root.findall(f"{SVG}circle")) == 1
    assert root.findall(f"{SVG}polyline") == []


def test_a_gap_breaks_the_line_in_two():
    series = [row(m, 1.0 + m, m, m + 2) for m in (0, 1, 2)] + [row(m, 1.0 + m, m, m + 2) for m in (30, 31)]
    root = render(series)
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}polygon")) == 2


def test_a_sensor_slower_than_the_buckets_is_still_one_line():
    # One reading every 3 minutes in 1-minute buckets: two empty buckets between points, no gap.
    root = render([row(m, float(m)) for m in range(0, 60, 3)])
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert root.findall(f"{SVG}circle") == []


def test_consecutive_buckets_are_one_line():
    root = render([row(m, float(m), m - 1, m + 1) for m in range(60)])
    assert len(root.findall(f"{SVG}polyline")) == 1


def test_constant_values_sit_inside_the_plot():
    root = render([row(m, 7.0, 7.0, 7.0) for m in range(10)])
    line = root.find(f"{SVG}polyline")
    ys = {float(pair.split(",")[1]) for pair in line.get("points").split()}
    assert len(ys) == 1
    (y,) = ys
    assert 10 < y < 178  # strictly inside the frame, not on its top or bottom edge


def test_higher_means_are_drawn_higher():
    root = render([row(0, 1.0, 1.0, 1.0), row(1, 10.0, 10.0, 10.0)])
    first, second = root.find(f"{SVG}polyline").get("points").split()
    assert float(second.split(",")[1]) < float(first.split(",")[1])


def test_hostile_title_and_unit_are_escaped():
    svg = line_chart(
        [row(1, 1.0)], start=START, end=END, step_seconds=60, title='<script>alert(1)</script>"', unit="&<b>"
    )
    assert "<script>" not in svg
    assert "<b>" not in svg
    root = ET.fromstring(svg)  # noqa: S314 - our own renderer's output
    assert root.find(f"{SVG}title").text == '<script>alert(1)</script>" (&<b>)'


def test_non_finite_and_missing_values_are_skipped():
    points = chart_points([row(0, math.nan), row(1, math.inf), row(2, None), row(3, "12"), row(4, True), row(5, 2.0)])
    assert [p.mean for p in points] == [2.0]


def test_missing_min_and_max_fall_back_to_the_mean():
    (point,) = chart_points([row(0, 3.0)])
    assert (point.low, point.mean, point.high) == (3.0, 3.0, 3.0)


def test_points_outside_the_window_are_clamped_into_the_plot():
    root = render([row(-30, 1.0), row(90, 2.0)])
    for shape in root.findall(f"{SVG}circle"):
        assert 56 <= float(shape.get("cx")) <= 632


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@given(st.lists(st.tuples(st.floats(min_value=-10, max_value=70), finite, finite, finite), max_size=40))
def test_any_series_renders_valid_svg_with_coordinates_in_the_view_box(rows):
    series = [row(m, mean, min(a, mean), max(b, mean)) for m, mean, a, b in rows]
    root = render(series)
    for shape in root.iter():
        for name in ("cx", "cy", "x1", "y1", "x2", "y2"):
            if shape.get(name) is not None:
                assert 0 <= float(shape.get(name)) <= 640
        if shape.get("points"):
            for pair in shape.get("points").split():
                x, y = map(float, pair.split(","))
                assert 0 <= x <= 640
                assert 0 <= y <= 200
