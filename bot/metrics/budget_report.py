"""What is said of an error budget: the card's line, the war room's message, the postmortem's
lines and the export's figures. Pure."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from bot.metrics.budget import FAST, SLOW, Budget
from bot.metrics.slo_config import Slo
from bot.slack.blocks import fit
from bot.slack.text import escape
from storage.models.metrics import IncidentBudget

SPEEDS = {
    "fast": f":rotating_light: *fast burn* (page: {FAST[0]:g}x over 1 h and 5 m)",
    "slow": f":warning: *slow burn* (ticket: {SLOW[0]:g}x over 6 h and 30 m)",
}


def percent(fraction: float | None) -> str:
    if fraction is None or math.isnan(fraction):
        return "unknown"
    return f"{fraction * 100:.1f}%"


def rate(value: float) -> str:
    return "no data" if math.isnan(value) else f"{value:.1f}x"


def span(delta: timedelta) -> str:
    """`2 d 3 h`, `5 h 12 min`, `40 min`."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def slo_name(slo: Slo) -> str:
    return f"`{escape(slo.service)}` ({slo.objective:g}% over {slo.window})"


def left_text(budget: Budget) -> str:
    if not budget.known:
        return "budget left unknown (no data over the window)"
    if budget.spent:
        return f"*budget spent* ({percent(-budget.left)} over)"
    return f"*{percent(budget.left)}* of the budget left"


def budget_line(budget: Budget) -> str:
    """The card's line: budget left, burn over 1 h and 6 h, how fast, and when it is spent."""
    parts = [
        left_text(budget),
        f"burn {rate(budget.burn('1h'))} over 1 h, {rate(budget.burn('6h'))} over 6 h",
    ]
    if budget.speed is not None:
        parts.append(SPEEDS[budget.speed])
    until = budget.until_spent
    if until is not None:
        parts.append(f"spent in {span(until)} at the 1 h rate")
    icon = ":fire:" if budget.speed or budget.spent else ":bar_chart:"
    return fit(
        f"{icon} *Error budget* {slo_name(budget.slo)} at {budget.at:%H:%M} UTC: "
        + "; ".join(parts)
    )


def failed_line(slo: Slo, problem: str, at: datetime) -> str:
    return fit(
        f":warning: *Error budget* {slo_name(slo)}: {escape(problem)} ({at:%H:%M} UTC); asked "
        "again at the next reminder"
    )


def asking_line(slo: Slo) -> str:
    return f":bar_chart: *Error budget* {slo_name(slo)}: asking Prometheus…"


def war_room_text(budget: Budget) -> str:
    """`/incident metric`'s answer in the war room: the card's line and every window."""
    windows = ", ".join(f"{w} {rate(budget.burn(w))}" for w in ("5m", "30m", "1h", "6h"))
    return f"{budget_line(budget)}\nBurn rate by window: {windows}."


def spent_by(row: IncidentBudget) -> float | None:
    """The fraction of the budget the incident spent: left at declare minus left at resolve."""
    if row.left_at_declare is None or row.left_at_resolve is None:
        return None
    return row.left_at_declare - row.left_at_resolve


def draft_lines(row: IncidentBudget) -> list[str]:
    """Section 8's lines (Markdown)."""
    head = f"{row.service} ({row.objective:g}% over {row.window})"
    declare, resolve = percent(row.left_at_declare), percent(row.left_at_resolve)
    spent = spent_by(row)
    if spent is not None:
        return [
            f"- **Error budget spent by this incident** ({head}): {percent(spent)} of the "
            f"budget ({declare} left at the declaration, {resolve} at the resolution)"
        ]
    if row.left_at_declare is not None:
        state = "not resolved yet" if row.resolve_taken_at is None else "no figure at resolve"
        return [
            f"- **Error budget spent by this incident** ({head}): {declare} left at the "
            f"declaration; {state}"
        ]
    return [f"- **Error budget spent by this incident** ({head}): Prometheus gave no figures"]


def export_figures(row: IncidentBudget) -> dict[str, Any]:
    return {
        "service": row.service,
        "objective": row.objective,
        "window": row.window,
        "left_at_declare": row.left_at_declare,
        "left_at_resolve": row.left_at_resolve,
        "spent_by_incident": spent_by(row),
    }


def stats_section(rows: list[IncidentBudget], tag: str | None) -> str | None:
    """`/incident stats`: the budget spent per service over the period, from stored figures."""
    if not rows:
        return None
    by_service: dict[str, list[float]] = {}
    unknown: dict[str, int] = {}
    for row in rows:
        spent = spent_by(row)
        if spent is None:
            unknown[row.service] = unknown.get(row.service, 0) + 1
        else:
            by_service.setdefault(row.service, []).append(spent)
    lines = []
    for service in sorted({r.service for r in rows}):
        figures = by_service.get(service, [])
        counted = f"{len(figures)} incident{'s' if len(figures) != 1 else ''}"
        more = f", {unknown[service]} without both figures" if service in unknown else ""
        lines.append(f"• `{escape(service)}`: {percent(sum(figures))} ({counted}{more})")
    note = " (all tags)" if tag else ""
    return "*Error budget spent by incidents*" + note + "\n" + "\n".join(lines)
