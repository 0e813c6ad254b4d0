"""A small chart of member counts over time, as numbers for an inline SVG (templates/_chart.html).

Server-side, no JavaScript library: the page stays light and works without scripts. Each
member kind is a series with its own colour and marker shape (so colour is never the only
cue), each source's count a point with a tooltip; counts that sources give for the same time
stand side by side on the same date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 14, 34
COLOURS = ("#0b5cad", "#b3461a", "#2e7d32", "#6a3d9a", "#8a6d00")
MARKERS = ("circle", "square", "diamond", "triangle", "circle")


@dataclass
class Point:
    x: float
    y: float
    title: str


@dataclass
class Series:
    name: str
    colour: str
    marker: str
    points: list[Point] = field(default_factory=list)
    path: str = ""


@dataclass
class Chart:
    width: int
    height: int
    series: list[Series]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT
    top: int = TOP


def year_of(date: str) -> float | None:
    """A date as a fractional year: "2019-11-20", "2019-11", "2019", or "2018/2019" (the
    middle of an inferred range); None when it is no date."""
    found = [int(y) for y in re.findall(r"\b(\d{4})\b", date)]
    if not found:
        return None
    if "/" in date and len(found) == 2:
        return (found[0] + found[1] + 1) / 2
    match = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", date)
    if match:
        month = int(match.group(2))
        day = int(match.group(3) or 15)
        return int(match.group(1)) + (month - 1) / 12 + (day - 1) / 365
    return found[0] + 0.5


def build(values: list[tuple[str, str, float, str]]) -> Chart | None:
    """The chart of (series name, date, count, tooltip) values; None with fewer than one
    dated value."""
    dated = [(name, year, count, title) for name, date, count, title in values
             if (year := year_of(date)) is not None]
    if not dated:
        return None
    years = [year for _, year, _, _ in dated]
    low, high = min(years) - 0.5, max(years) + 0.5
    top_count = max(count for _, _, count, _ in dated) or 1
    y_max = _nice(top_count)

    def x(year: float) -> float:
        return round(LEFT + (year - low) / (high - low) * (WIDTH - LEFT - RIGHT), 1)

    def y(count: float) -> float:
        return round(HEIGHT - BOTTOM - count / y_max * (HEIGHT - TOP - BOTTOM), 1)

    series: dict[str, Series] = {}
    means: dict[str, dict[float, list[float]]] = {}
    for name, year, count, title in sorted(dated, key=lambda v: (v[0], v[1], v[2])):
        if name not in series:
            index = len(series) % len(COLOURS)
            series[name] = Series(name, COLOURS[index], MARKERS[index])
        at_date = means.setdefault(name, {}).setdefault(year, [])
        at_date.append(count)
        # sources giving a value for the same date stand side by side, a few pixels apart
        series[name].points.append(Point(x(year) + 7 * (len(at_date) - 1), y(count), title))
    for name, line in series.items():  # the line runs through the mean of each date
        points = [(x(year), y(sum(v) / len(v))) for year, v in sorted(means[name].items())]
        line.path = " ".join(f"{'M' if i == 0 else 'L'}{px},{py}"
                             for i, (px, py) in enumerate(points))
    first, last = int(low + 0.5), int(high - 0.5)
    step = max(1, (last - first) // 8 + 1)
    x_ticks = [(x(year + 0.5), str(year)) for year in range(first, last + 1, step)]
    y_ticks = [(y(y_max * i / 4), f"{y_max * i / 4:g}") for i in range(5)]
    return Chart(WIDTH, HEIGHT, list(series.values()), x_ticks, y_ticks)


def _nice(value: float) -> float:
    """The next round number at or above ``value`` (1, 2, 2.5, 5 times a power of ten)."""
    power = 1.0
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power
