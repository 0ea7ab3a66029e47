"""Small statistics helpers shared by the stats and the pictures."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import timedelta


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at or above 90% of them."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def minutes(seconds: float | None) -> str:
    """`4 min`, `1 h 05 min`, `2 d 3 h`; `—` for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    delta = timedelta(seconds=total)
    days, rest = delta.days, delta.seconds
    hours, rest = divmod(rest, 3600)
    mins = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"
