"""What a check says, within Block Kit's limits, however long the expressions and labels
(pure: no Prometheus, no Slack)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from bot.metrics.report import Answer, Check, card_line, check_blocks
from storage.models.metrics import IncidentMetric

AT = datetime(2026, 12, 7, 3, 52, tzinfo=UTC)


def metric(name: str, expr: str) -> IncidentMetric:
    return IncidentMetric(incident_id=1, name=name, expr=expr, source="person")


def test_every_block_stays_within_slacks_limits() -> None:
    from bot.metrics.prometheus import Sample

    long_expr = "sum(rate(x[5m])) > 1 " + "or vector(0) " * 150  # ~2000 characters
    samples = [Sample({"pod": f"p{i}-" + "y" * 300, "__name__": "x"}, float(i)) for i in range(40)]
    samples.append(Sample({"pod": "nan"}, math.nan))
    check = Check(AT, [Answer(metric(f"m{i}", long_expr), now=samples) for i in range(1, 6)])
    told = check_blocks(check, failed_before=False)
    assert told is not None
    text, blocks = told
    assert len(blocks) <= 50 and text
    for block in blocks:
        body = block.get("text", {}).get("text", "") or json.dumps(block.get("elements"))
        assert len(body) <= 3000, len(body)
    first = blocks[0]["text"]["text"]
    assert ("*41 series now*" in first and "… and 31 more" in first) or "(cut here)" in first
    assert len(card_line(check)) <= 3000


def test_unreachable_is_one_line_and_not_repeated() -> None:
    check = Check(AT, [], "Prometheus at prom:9090 is unreachable (connection refused)")
    told = check_blocks(check, failed_before=False)
    assert told is not None
    text, blocks = told
    assert "\n" not in text and len(blocks) == 1
    assert "unreachable (connection refused): no metric at 03:52 UTC" in text
    assert check_blocks(check, failed_before=True) is None
    assert card_line(check).startswith(":warning: *Metric*: Prometheus at prom:9090")
