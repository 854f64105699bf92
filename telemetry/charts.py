"""Server-rendered SVG line charts: the mean as a line over a min/max band, with gaps left open."""

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 640, 200
# Room for the axis labels on the left and below the plot.
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 10, 22
# Buckets further apart than this many steps are a gap: the line breaks instead of bridging it.
GAP_STEPS = 1.5


@dataclass(frozen=True)
class ChartPoint:
    t: float  # seconds since the epoch
    low: float
    mean: float
    high: float


def _seconds(value) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _finite(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def chart_points(series: list[dict]) -> list[ChartPoint]:
    """Chart points from series_read rows ({"t","min","max","mean"}); rows without a finite mean are skipped."""
    points = []
    for row in series:
        mean = _finite(row.get("mean"))
        if mean is None:
            continue
        low, high = _finite(row.get("min")), _finite(row.get("max"))
        points.append(
            ChartPoint(_seconds(row["t"]), mean if low is None else low, mean, mean if high is None else high)
        )
    points.sort(key=lambda point: point.t)
    return points


def _value_range(points: list[ChartPoint]) -> tuple[float, float]:
    low, high = min(p.low for p in points), max(p.high for p in points)
    if high - low < 1e-9 * max(1.0, abs(high)):
        # A constant series gets a band around it, so the line sits in the middle, not on an edge.
        pad = max(1.0, abs(high) * 0.1)
        return low - pad, high + pad
    return low, high


def _number(value: float) -> str:
    return f"{value:.4g}"


def _runs(points: list[ChartPoint], step_seconds: float) -> list[list[ChartPoint]]:
    """Split the points where data is missing, so each run is drawn as one unbroken line.

    A sensor that reports less often than the bucket width leaves every other bucket empty; that is
    its rhythm, not a gap, so a gap is a pause longer than both GAP_STEPS buckets and 3 usual intervals.
    """
    intervals = sorted(b.t - a.t for a, b in itertools.pairwise(points))
    usual = intervals[len(intervals) // 2] if intervals else 0.0
    limit = max(step_seconds * GAP_STEPS, usual * 3)
    runs: list[list[ChartPoint]] = []
    for point in points:
        if runs and point.t - runs[-1][-1].t <= limit:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def line_chart(
    series: list[dict], *, start: datetime, end: datetime, step_seconds: float, title: str, unit: str = ""
) -> str:
    """An accessible inline <svg> of `series` between `start` and `end`; every text in it is escaped."""
    points = chart_points(series)
    label = escape(f"{title} ({unit})" if unit else title)
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>'
    )
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    frame = f'<rect class="chart-frame" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none"/>'
    t0, t1 = start.timestamp(), end.timestamp()
    axis = (
        f'<text class="chart-axis" x="{LEFT}" y="{HEIGHT - 6}">{escape(start.strftime("%Y-%m-%d %H:%M"))}</text>'
        f'<text class="chart-axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
        f"{escape(end.strftime('%Y-%m-%d %H:%M'))}</text>"
    )
    if not points or t1 <= t0:
        empty = f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data</text>'
        return head + frame + axis + empty + "</svg>"
    low, high = _value_range(points)

    def x(t: float) -> float:
        return round(LEFT + (min(max(t, t0), t1) - t0) / (t1 - t0) * plot_w, 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_h, 1)

    shapes = []
    for run in _runs(points, step_seconds):
        if len(run) == 1:
            p = run[0]
            shapes.append(f'<line class="chart-band" x1="{x(p.t)}" y1="{y(p.high)}" x2="{x(p.t)}" y2="{y(p.low)}"/>')
            shapes.append(f'<circle class="chart-mean" cx="{x(p.t)}" cy="{y(p.mean)}" r="2.5"/>')
            continue
        band = [f"{x(p.t)},{y(p.high)}" for p in run] + [f"{x(p.t)},{y(p.low)}" for p in reversed(run)]
        shapes.append(f'<polygon class="chart-band" points="{" ".join(band)}"/>')
        line = " ".join(f"{x(p.t)},{y(p.mean)}" for p in run)
        shapes.append(f'<polyline class="chart-mean" fill="none" points="{line}"/>')
    scale = (
        f'<text class="chart-axis" x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end">{escape(_number(high))}</text>'
        f'<text class="chart-axis" x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">{escape(_number(low))}</text>'
    )
    return head + frame + axis + scale + "".join(shapes) + "</svg>"
