"""The metric chart: the last hour of each expression of the incident, a panel each, with its
threshold as a dashed line where the expression compares with a number. Drawn with the
learning domain's chart plumbing (bot/learning/charts.py: Agg, drawn in a thread, the data
read back from the lines into the PNG's `Sisyphus-Data`).

matplotlib is imported only when a chart is drawn: it costs a second of start-up."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.metrics.expr import Threshold
from bot.metrics.prometheus import Series

CHART_WIDTH = 1200
PANEL_HEIGHT = 420
FONT = 13
MAX_PANELS = 3  # expressions charted; the rest are in the message
MAX_LINES = 10  # series drawn per panel
THRESHOLD_COLOUR = "#c62828"


@dataclass(frozen=True)
class Panel:
    name: str
    expr: str  # what was charted (the left side of a comparison)
    series: list[Series]
    threshold: Threshold | None


def series_label(labels: dict[str, str], limit: int = 60) -> str:
    """`up{job="api",instance="a"}` (plain text), cut to `limit`."""
    name = labels.get("__name__", "")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    text = f"{name}{{{inner}}}" if inner or not name else name
    return text if len(text) <= limit else text[: limit - 1] + "…"


def legend_labels(series: list[Series]) -> list[str]:
    """Each series by the labels that tell it from the others (all of them if only one)."""
    if len(series) < 2:
        return [series_label(s.labels) for s in series]
    keys = {k for s in series for k in s.labels}
    varying = {k for k in keys if len({s.labels.get(k) for s in series}) > 1}
    return [series_label({k: v for k, v in s.labels.items() if k in varying}) for s in series]


def draw_metric_chart(panels: list[Panel], title: str, start: datetime, end: datetime) -> bytes:
    from matplotlib import dates as mdates

    from bot.learning.charts import new_figure, to_png

    shown = panels[:MAX_PANELS]
    figure = new_figure(CHART_WIDTH, 80 + PANEL_HEIGHT * max(1, len(shown)))
    figure.suptitle(title, fontsize=FONT + 3)
    axes = figure.subplots(max(1, len(shown)), 1, squeeze=False)
    data: dict[str, Any] = {
        "title": title,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "panels": [],
    }
    for ax, panel in zip((row[0] for row in axes), shown, strict=False):
        drawn = []
        lines = panel.series[:MAX_LINES]
        for series, legend in zip(lines, legend_labels(lines), strict=True):
            points = [(t, v) for t, v in series.points if not math.isnan(v)]
            times = [datetime.fromtimestamp(t, UTC) for t, _ in points]
            (line,) = ax.plot(times, [v for _, v in points], label=legend, linewidth=1.6)
            ys = [float(y) for y in line.get_ydata()]
            full = series_label(series.labels, 300)
            drawn.append({"label": full, "legend": legend, "points": len(ys), "last": ys[-1:]})
        threshold = None
        if panel.threshold is not None:
            threshold = float(
                ax.axhline(
                    panel.threshold.value,
                    color=THRESHOLD_COLOUR,
                    linestyle="--",
                    linewidth=1.4,
                    label=f"threshold {panel.threshold.op} {panel.threshold.value:g}",
                ).get_ydata()[0]
            )
        short = panel.expr if len(panel.expr) <= 90 else panel.expr[:89] + "…"
        ax.set_title(f"{panel.name}: {short}", fontsize=FONT, loc="left")
        ax.set_xlim(start, end)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))
        ax.tick_params(labelsize=FONT - 2)
        ax.grid(True, alpha=0.3)
        if not panel.series:
            ax.text(0.5, 0.5, "no series in the last hour", ha="center", transform=ax.transAxes)
        if drawn or threshold is not None:
            ax.legend(fontsize=FONT - 4, loc="upper left")
        data["panels"].append(
            {"name": panel.name, "expr": panel.expr, "series": drawn, "threshold": threshold}
        )
    figure.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.06, hspace=0.35)
    return to_png(figure, data)


async def draw_metrics(panels: list[Panel], title: str, start: datetime, end: datetime) -> bytes:
    """Drawn in a thread, one drawing at a time (as every chart)."""
    from bot.learning.charts import draw

    return await draw(lambda: draw_metric_chart(panels, title, start, end))
