"""One check of an incident's expressions: each asked of Prometheus now (does it still return
series, and their values with labels, at most MAX_VALUES) and over the last hour (the chart),
all at once within PROMETHEUS_QUERY_TIMEOUT_SECONDS; then what the war room is told (Block
Kit within its limits), the card's line, and the chart."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.settings import Settings
from bot.metrics.chart import Panel, series_label
from bot.metrics.expr import threshold_of
from bot.metrics.prometheus import Prometheus, PrometheusError, QueryRefused, Sample, Series
from bot.slack.blocks import context, fit, section
from bot.slack.text import escape
from storage.models.metrics import IncidentMetric

MAX_VALUES = 10  # series listed per expression, then "and N more"
CHART_SPAN = timedelta(hours=1)
CHART_POINTS = 240  # a step of 15 s over the hour
MAX_CARD_EXPR = 80
ICON = ":chart_with_upwards_trend:"
SOURCES = {"alert": "the alert's", "annotation": "the alert's `promql`", "person": "added"}


@dataclass
class Answer:
    metric: IncidentMetric
    now: list[Sample] = field(default_factory=list)
    hour: list[Series] = field(default_factory=list)
    problem: str | None = None  # this expression's error (Prometheus answered, not for it)


@dataclass
class Check:
    at: datetime
    answers: list[Answer]
    unreachable: str | None = None  # Prometheus down, slow or refusing: one line

    @property
    def failed(self) -> bool:
        return self.unreachable is not None


def value_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.4g}"


async def _one(prom: Prometheus, metric: IncidentMetric, now: datetime) -> Answer:
    answer = Answer(metric)
    threshold = threshold_of(metric.expr)
    step = CHART_SPAN.total_seconds() / CHART_POINTS
    try:
        answer.now, answer.hour = await asyncio.gather(
            prom.instant(metric.expr, now),
            prom.range(threshold.left if threshold else metric.expr, now - CHART_SPAN, now, step),
        )
    except QueryRefused as exc:  # this expression's; the others are asked still
        answer.problem = str(exc)
    return answer


async def run_check(settings: Settings, metrics: list[IncidentMetric], now: datetime) -> Check:
    """Every expression at once; Prometheus unreachable (or slow) is the check's one line."""
    try:
        async with Prometheus(settings) as prom:
            answers = await asyncio.wait_for(
                asyncio.gather(*(_one(prom, m, now) for m in metrics)),
                settings.prometheus_query_timeout_seconds + 1,
            )
    except PrometheusError as exc:
        return Check(now, [], str(exc))
    except TimeoutError:
        timeout = settings.prometheus_query_timeout_seconds
        return Check(now, [], f"Prometheus did not answer within {timeout:g} s")
    return Check(now, list(answers))


def _state(answer: Answer) -> str:
    if answer.problem:
        return ":x: " + escape(answer.problem)
    count = len(answer.now)
    if not count:
        return "*no series now*: the expression is quiet"
    return f"*{count} series now*" if count != 1 else "*1 series now*"


def _lines(answer: Answer) -> list[str]:
    ranked = sorted(answer.now, key=lambda s: -s.value if not math.isnan(s.value) else 0)
    lines = [
        f"• `{escape(series_label(s.labels, 150))}` {value_text(s.value)}"
        for s in ranked[:MAX_VALUES]
    ]
    if len(ranked) > MAX_VALUES:
        lines.append(f"… and {len(ranked) - MAX_VALUES} more")
    return lines


def _time(at: datetime) -> str:
    return f"{at:%H:%M} UTC"


def check_blocks(check: Check, *, failed_before: bool) -> tuple[str, list[dict[str, Any]]] | None:
    """What the war room is told: each expression's state and values, a section each (cut
    to Slack's 3000 characters); Prometheus unreachable in one line, and not again while it
    stays so (None)."""
    if check.unreachable is not None:
        if failed_before:
            return None
        text = (
            f":warning: {escape(check.unreachable)}: no metric at {_time(check.at)}. "
            "I will ask again at the next reminder (or `/incident metric`)."
        )
        return text, [section(fit(text))]
    blocks: list[dict[str, Any]] = []
    for answer in check.answers:
        m = answer.metric
        head = (
            f"{ICON} *`{escape(m.name)}`* ({SOURCES.get(m.source, m.source)}) at "
            f"{_time(check.at)}: {_state(answer)}\n`{escape(m.expr)}`"
        )
        text = "\n".join([head, *_lines(answer)])
        blocks.append(section(fit(text, marker="\n… (cut here)")))
    blocks.append(context("The last hour is charted below. `/incident metric` asks again."))
    first = check.answers[0] if check.answers else None
    fallback = f"Metric {first.metric.name}: {len(first.now)} series now" if first else "Metrics"
    return fallback, blocks


def card_line(check: Check) -> str:
    """The card's line: each expression's state now, and when it was asked."""
    if check.unreachable is not None:
        return fit(
            f":warning: *Metric*: {escape(check.unreachable)} ({_time(check.at)}); asked again "
            "at the next reminder"
        )
    parts = []
    for answer in check.answers:
        expr = answer.metric.expr
        short = expr if len(expr) <= MAX_CARD_EXPR else expr[: MAX_CARD_EXPR - 1] + "…"
        if answer.problem:
            state = "Prometheus refused it"
        elif not answer.now:
            state = "no series now (quiet)"
        else:
            top = max((s.value for s in answer.now if not math.isnan(s.value)), default=math.nan)
            many = f"{len(answer.now)} series" if len(answer.now) != 1 else "1 series"
            state = f"{many} now, highest {value_text(top)}"
        parts.append(f"`{escape(answer.metric.name)}` `{escape(short)}`: {state}")
    return fit(f"{ICON} *Metric* at {_time(check.at)}: " + "; ".join(parts))


def asking_line(metrics: list[IncidentMetric]) -> str:
    names = ", ".join(f"`{escape(m.name)}`" for m in metrics)
    return f"{ICON} *Metric* {names}: asking Prometheus…"


def panels(check: Check) -> list[Panel]:
    return [
        Panel(
            a.metric.name,
            (t.left if (t := threshold_of(a.metric.expr)) else a.metric.expr),
            a.hour,
            threshold_of(a.metric.expr),
        )
        for a in check.answers
        if a.problem is None
    ]
