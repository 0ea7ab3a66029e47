"""The `/oncall report` chart: a stacked bar per person, their hours on call inside and outside
their working hours. Drawn with the learning domain's chart plumbing (bot/learning/charts.py:
matplotlib's Agg backend, the data read back from the bars into the PNG's `Sisyphus-Data`).

matplotlib is imported only when a chart is drawn: it costs a second of start-up."""

from __future__ import annotations

from typing import Any

from bot.oncall.report import Report

REPORT_SIZE = (1200, 700)
FONT = 14
INSIDE_COLOUR = "#64b5f6"
OUTSIDE_COLOUR = "#5e35b1"
MAX_PEOPLE = 40  # bars on one chart; the rest are in the text


def draw_report_chart(report: Report, title: str, names: dict[str, str]) -> bytes:
    """`names`: how each person is labelled under their bar (plain text, not mrkdwn)."""
    from bot.learning.charts import bar_heights, new_figure, to_png

    people = report.people[:MAX_PEOPLE]
    labels = [names.get(p.person, p.person) for p in people]
    inside = [round(p.hours - p.hours_outside, 2) for p in people]
    outside = [round(p.hours_outside, 2) for p in people]
    figure = new_figure(*REPORT_SIZE)
    figure.suptitle(title, fontsize=FONT + 4)
    ax = figure.subplots()
    positions = list(range(len(people)))
    inside_bars = ax.bar(positions, inside, color=INSIDE_COLOUR, label="in working hours")
    outside_bars = ax.bar(
        positions, outside, bottom=inside, color=OUTSIDE_COLOUR, label="outside working hours"
    )
    data: dict[str, Any] = {
        "size": list(REPORT_SIZE),
        "title": title,
        "people": labels,
        "inside_hours": bar_heights(inside_bars),
        "outside_hours": bar_heights(outside_bars),
    }
    ax.set_ylabel("hours on call", fontsize=FONT)
    ax.set_xticks(positions)
    ax.set_xticklabels(labels, rotation=30 if len(labels) > 6 else 0, ha="right", fontsize=FONT - 2)
    if people:
        ax.legend(fontsize=FONT - 2)
    else:
        ax.text(0.5, 0.5, "nobody was on call", ha="center", transform=ax.transAxes)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2)
    return to_png(figure, data)


async def draw_report(report: Report, title: str, names: dict[str, str]) -> bytes:
    """Drawn in a thread, one drawing at a time (as every chart)."""
    from bot.learning.charts import draw

    return await draw(lambda: draw_report_chart(report, title, names))
