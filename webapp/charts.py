"""Bar charts drawn on the server as SVG (#16 item 2): no script, nothing
inline for the CSP to refuse; the template draws what `bars` measures, and
colours come from classes in the style sheet."""

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 400, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 10, 24  # room for the scale and the dates
GAP = 0.2  # of each day's slot, between bars


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the day and its figure, for the bar's tooltip


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    top: int  # the value the scale ends at
    ticks: list[tuple[float, str]]  # (y, text) of the scale's lines
    first: str
    last: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    right_x: int = WIDTH - RIGHT


def nice_top(largest: float) -> int:
    """A round end for the scale above the largest value: 1, 2 or 5 times a power of ten."""
    if largest <= 2:
        return 2  # so that the half-way line is a whole number too
    power = 10 ** math.floor(math.log10(largest))
    return next(int(step * power) for step in (1, 2, 5, 10) if largest <= step * power)


def bars(values: list[float | None], labels: list[str], show=str) -> Chart:
    """A bar per value (0 and None draw none), on a scale from 0 to a round top."""
    top = nice_top(max((v for v in values if v is not None), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(values))
    drawn = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        if not value:  # a quiet day, or nothing to measure: no bar
            continue
        height = plot_height * value / top
        drawn.append(
            Bar(
                x=round(LEFT + index * slot + slot * GAP / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(max(slot * (1 - GAP), 0.5), 2),
                height=round(height, 2),
                label=f"{label}: {show(value)}",
            )
        )
    ticks = [(round(TOP + plot_height * (1 - part), 2), show(top * part)) for part in (0, 0.5, 1)]
    return Chart(drawn, top, ticks, labels[0] if labels else "", labels[-1] if labels else "")
