"""The `/incident stats` chart: incidents per week by severity, response times, action items,
tags. Data in the PNG (`Sisyphus-Data`) is read back from the drawn bars."""

from __future__ import annotations

from typing import Any

from bot.learning.charts import (
    SEVERITY_COLOURS,
    bar_heights,
    bar_widths,
    new_figure,
    to_png,
)
from bot.learning.stats import Stats
from storage.models.incidents import SEVERITIES

STATS_SIZE = (1200, 900)
FONT = 14


def stats_title(stats: Stats) -> str:
    period = "all time" if stats.query.period == "all" else f"last {stats.query.period}"
    tag = f", tag {stats.query.tag}" if stats.query.tag else ""
    drills = ", drills included" if stats.query.drills else ""
    return f"Incidents, {period}{tag}{drills} (UTC)"


def draw_stats_chart(stats: Stats) -> bytes:
    figure = new_figure(*STATS_SIZE)
    figure.suptitle(stats_title(stats), fontsize=FONT + 4)
    weeks_ax, times_ax, actions_ax, tags_ax = figure.subplots(2, 2).flat
    data: dict[str, Any] = {"size": list(STATS_SIZE), "title": stats_title(stats)}

    weeks = list(stats.by_week)
    bottoms = [0.0] * len(weeks)
    drawn: dict[str, list[float]] = {}
    for severity in SEVERITIES:
        heights = [float(stats.by_week[w].get(severity, 0)) for w in weeks]
        if not any(heights):
            continue
        bars = weeks_ax.bar(
            range(len(weeks)),
            heights,
            bottom=bottoms,
            color=SEVERITY_COLOURS[severity],
            label=severity.upper(),
        )
        drawn[severity] = bar_heights(bars)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    data["weeks"] = weeks
    data["incidents_by_week"] = drawn
    weeks_ax.set_title("Incidents per week, by severity", fontsize=FONT)
    weeks_ax.set_ylabel("incidents", fontsize=FONT)
    step = max(1, len(weeks) // 8)
    weeks_ax.set_xticks(range(0, len(weeks), step))
    weeks_ax.set_xticklabels(weeks[::step], rotation=30, ha="right", fontsize=FONT - 3)
    if drawn:
        weeks_ax.legend(fontsize=FONT - 3)
    else:
        weeks_ax.text(0.5, 0.5, "no incidents", ha="center", transform=weeks_ax.transAxes)

    labels = ["detect", "mitigate", "resolve"]
    durations = [stats.detect, stats.mitigate, stats.resolve]
    medians = [(d.median or 0) / 60 for d in durations]
    p90s = [(d.p90 or 0) / 60 for d in durations]
    positions = range(len(labels))
    median_bars = times_ax.bar([p - 0.2 for p in positions], medians, 0.4, label="median")
    p90_bars = times_ax.bar([p + 0.2 for p in positions], p90s, 0.4, label="p90")
    data["minutes"] = {
        "labels": labels,
        "median": bar_heights(median_bars),
        "p90": bar_heights(p90_bars),
    }
    times_ax.set_xticks(list(positions))
    times_ax.set_xticklabels([f"time to {x}" for x in labels], fontsize=FONT - 2)
    times_ax.set_ylabel("minutes", fontsize=FONT)
    times_ax.set_title("Response times", fontsize=FONT)
    times_ax.legend(fontsize=FONT - 3)

    states = ["open", "overdue", "done", "verified"]
    action_bars = actions_ax.bar(
        states,
        [float(stats.actions.get(s, 0)) for s in states],
        color=["#64b5f6", "#e57373", "#81c784", "#2e7d32"],
    )
    data["action_items"] = dict(zip(states, bar_heights(action_bars), strict=True))
    kept = f"{round(100 * stats.intervals_on_time / stats.intervals)}%" if stats.intervals else "—"
    addressed = (
        f"{round(100 * stats.factors_with_action / stats.factors)}%" if stats.factors else "—"
    )
    actions_ax.set_title(
        f"Action items (factors addressed: {addressed}; cadence kept: {kept})", fontsize=FONT - 1
    )
    actions_ax.tick_params(labelsize=FONT - 2)

    tags = stats.top_tags
    tag_bars = tags_ax.barh([t for t, _ in tags][::-1], [float(n) for _, n in tags][::-1])
    data["top_tags"] = dict(zip([t for t, _ in tags][::-1], bar_widths(tag_bars), strict=True))
    tags_ax.set_title("Most frequent tags", fontsize=FONT)
    tags_ax.tick_params(labelsize=FONT - 2)
    if not tags:
        tags_ax.text(0.5, 0.5, "no tags", ha="center", transform=tags_ax.transAxes)
    # Fixed margins: tight_layout would measure every label, and costs more than the drawing.
    figure.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.1, wspace=0.25, hspace=0.45)
    return to_png(figure, data)
