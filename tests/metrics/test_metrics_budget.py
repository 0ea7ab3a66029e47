"""Error budgets against a real Prometheus fed seven hours of known history (`promtool tsdb
create-blocks-from openmetrics`): 10 requests a second, 2 % of them errors until an hour ago,
20 % since. By hand, with the objective's budget b (0.01 for 99 %, 0.05 for 95 %):

- error ratio over 5 m, 30 m and 1 h: 0.2; over 6 h: (5 h x 0.02 + 1 h x 0.2) / 6 h = 0.05;
  over the SLO's window (the seven hours there are): (6 x 0.02 + 0.2) / 7 = 0.32 / 7;
- payments, 99 % over 30 d: burn 20x over 1 h (fast: 14.4x over 1 h and 5 m), 5x over 6 h;
  budget left 1 - 4.571 = -3.571: spent;
- checkout, 95 % over 28 d: burn 4x over 1 h, 1x over 6 h; left 1 - 0.9143 = 8.57 %; spent in
  0.0857 x 28 d / 4 = 14 h 24 min at the 1 h rate; an hour ago (6 h of 2 %) 1 - 0.4 = 60 % left.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.core.config_file import parse
from bot.metrics.budget import measure, measure_left, ratio_expr
from bot.metrics.slo_config import Slo
from handlers.config_sections import SECTIONS
from storage.models.incidents import Incident
from storage.models.metrics import IncidentBudget
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare, declare_finished, posts_in, run
from tests.support.learning_helpers import command, section_texts
from tests.support.postmortem_helpers import ask as pm
from tests.support.postmortem_helpers import uploaded
from tests.support.prometheus import PROMETHEUS, PROMTOOL, RunningPrometheus, start_prometheus
from tests.support.timeline_helpers import wait_until

# The history's last sample: set by the `known` fixture when the test starts (a value taken
# at import would be minutes old by the time a full run reaches these tests, leaving the
# 5-minute windows empty).
END = int(time.time()) - 10
STEP = 15
RATIO = (
    'sum(rate(slo_requests_total{job="payments",code="500"}[{{window}}])) / '
    'sum(rate(slo_requests_total{job="payments"}[{{window}}]))'
)
CONFIG = (
    "services:\n  - name: payments\n  - name: checkout\nslos:\n"
    f"  - service: payments\n    objective: 99\n    window: 30d\n    error_ratio: '{RATIO}'\n"
    f"  - service: checkout\n    objective: 95\n    window: 28d\n    error_ratio: '{RATIO}'\n"
)
GATE_TOKEN = "gate-token-1234-for-tests"


def history(end: int) -> str:
    lines = ["# TYPE slo_requests counter"]
    for code in ("200", "500"):
        value, t = 0.0, end - 7 * 3600
        while t <= end:
            lines.append(f'slo_requests_total{{code="{code}",job="payments"}} {value} {t}')
            errors = 2.0 if t >= end - 3600 else 0.2
            value += STEP * (errors if code == "500" else 10 - errors)
            t += STEP
    return "\n".join([*lines, "# EOF"]) + "\n"


@pytest.fixture
async def known(tmp_path: Path) -> AsyncIterator[RunningPrometheus]:
    if PROMETHEUS is None or PROMTOOL is None:
        pytest.skip("prometheus is not installed")
    global END
    END = int(time.time()) - 10
    running = await start_prometheus(tmp_path, history(END))
    try:
        yield running
    finally:
        await running.stop_all()


def slos() -> dict[str, Slo]:
    values, _, problems = parse(CONFIG, SECTIONS)
    assert not problems, problems
    return {s.service: s for s in values["slos"]}


async def start(
    start_bot: StartBot, prom: RunningPrometheus, tmp_path: Path, **kw: Any
) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    return await start_bot(
        config_file=str(path),
        prometheus_url=prom.url,
        deploy_gate_token=GATE_TOKEN,
        deploy_gate_error_budget=True,
        **kw,
    )


def close(a: float, b: float, tolerance: float = 0.01) -> bool:
    return abs(a - b) <= tolerance * max(abs(b), 1e-9)


async def test_burn_rate_and_budget_match_the_hand_computation(
    known: RunningPrometheus, start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, known, tmp_path)
    at = datetime.now(UTC)
    payments = await measure(bot.rt.settings, slos()["payments"], at)
    assert close(payments.ratios["5m"], 0.2) and close(payments.ratios["1h"], 0.2)
    assert close(payments.burn("1h"), 20) and close(payments.burn("6h"), 5)
    assert close(payments.left, 1 - 0.32 / 7 / 0.01) and payments.spent
    assert payments.speed == "fast" and payments.until_spent is None
    checkout = await measure(bot.rt.settings, slos()["checkout"], at)
    assert close(checkout.burn("1h"), 4) and close(checkout.burn("6h"), 1)
    assert close(checkout.left, 1 - 0.32 / 7 / 0.05) and not checkout.spent
    assert checkout.speed is None
    until = checkout.until_spent
    assert until is not None and close(until.total_seconds(), 14.4 * 3600)
    hour_ago = datetime.fromtimestamp(END - 3600, UTC)
    left = await measure_left(bot.rt.settings, slos()["checkout"], hour_ago)
    assert left is not None and close(left, 0.6)


def test_sloth_and_pyrra_rules_are_asked_by_their_names() -> None:
    sloth = Slo(service="s", objective=99.9, sloth={"service": "pay", "slo": "avail"})
    assert ratio_expr(sloth, "1h") == (
        'max(slo:sli_error:ratio_rate1h{sloth_service="pay",sloth_slo="avail"})'
    )
    pyrra = Slo(service="s", objective=99.9, pyrra={"slo": "pay-errors", "metric": "http_req"})
    assert ratio_expr(pyrra, "5m") == 'max(http_req:burnrate5m{slo="pay-errors"})'
    assert (
        ratio_expr(pyrra, "6h") == 'max(avg_over_time(http_req:burnrate5m{slo="pay-errors"}[6h]))'
    )


def test_bad_slos_are_refused_with_their_lines() -> None:
    def problems(text: str) -> list[str]:
        return [p.problem for p in parse(text, SECTIONS)[2]]

    base = "services:\n  - name: payments\nslos:\n  - service: {s}\n    objective: {o}\n"
    ok = "    window: {w}\n    error_ratio: 'rate(x[{{{{window}}}}])'\n"
    assert problems((base + ok).format(s="nosuch", o=99.9, w="30d")) == [
        "SLO for an unknown service `nosuch` (the services: payments)"
    ]
    [objective] = problems((base + ok).format(s="payments", o=100, w="30d"))
    assert "objective `100` must be a percentage above 0 and below 100" in objective
    assert problems((base + ok).format(s="payments", o=99, w="7d")) == [
        "`slos[0].window` must be one of '30d' or '28d'"
    ]
    [placeholder] = problems(base.format(s="payments", o=99) + "    error_ratio: 'rate(x[5m])'\n")
    assert "needs `{{window}}`" in placeholder
    [none] = problems(base.format(s="payments", o=99))
    assert "exactly one of `error_ratio`, `sloth` or `pyrra` (it has none)" in none


def card_text(bot: RunningBot, channel: str) -> str:
    cards = [u for u in bot.fake.calls_to("chat.update") if u["channel"] == channel]
    cards += [p for p in posts_in(bot, channel) if p.get("blocks")]
    return "\n".join(json.dumps(c.get("blocks") or []) for c in cards)


async def budget_row(bot: RunningBot) -> IncidentBudget | None:
    async with bot.rt.db.session() as session:
        rows = (await session.exec(select(IncidentBudget))).all()
    return rows[-1] if rows else None


async def card_says(bot: RunningBot, channel: str, *texts: str) -> None:
    async def found() -> bool:
        text = card_text(bot, channel)
        return all(t in text for t in texts)

    await wait_until(found, timeout=30, what=f"the card saying {texts}")


async def test_the_card_draft_export_and_stats_show_the_budget(
    known: RunningPrometheus, start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, known, tmp_path)
    channel = await declare(bot, "--service checkout sev2 Checkout slow")
    await card_says(bot, channel, "*Error budget* `checkout` (95% over 28d)", "burn 4.0x")
    text = card_text(bot, channel)
    assert "*8.6%* of the budget left" in text and "4.0x over 1 h, 1.0x over 6 h" in text
    assert "spent in 14 h 2" in text  # 14 h 24 min, give or take the seconds since
    row = await budget_row(bot)
    assert row is not None and row.left_at_declare is not None
    assert close(row.left_at_declare, 1 - 0.32 / 7 / 0.05)
    # Declared an hour ago (before the errors rose): the figure is asked at that moment.
    async with bot.rt.db.session() as session:
        await session.exec(
            update(Incident)
            .where(col(Incident.id) == row.incident_id)
            .values(declared_at=datetime.fromtimestamp(END - 3600, UTC))
        )
        await session.exec(
            update(IncidentBudget)
            .where(col(IncidentBudget.incident_id) == row.incident_id)
            .values(left_at_declare=None)
        )
    answer = await run(bot, "metric", channel)
    assert "the error budget of `checkout`" in answer["text"]
    await bot.fake.wait_for(
        lambda: [p for p in posts_in(bot, channel) if "Burn rate by window" in p["text"]],
        timeout=30,
        what="the budget in the war room",
    )
    await run(bot, "resolve Rolled back", channel)

    async def both() -> IncidentBudget | None:
        got = await budget_row(bot)
        return got if got and got.left_at_resolve is not None and got.left_at_declare else None

    row = await wait_until(both, timeout=30, what="the figure at resolve")
    assert close(row.left_at_declare or 0, 0.6)
    assert close(row.left_at_resolve or 0, 1 - 0.32 / 7 / 0.05)
    await declare_finished(bot)
    await pm(bot, "draft", user_id="U111", channel_id=channel)
    doc = await uploaded(bot, f"postmortem-incident-{row.incident_id}.md", timeout=30)
    assert (
        "**Error budget spent by this incident** (checkout (95% over 28d)): 51.4% of the budget "
        "(60.0% left at the declaration, 8.6% at the resolution)"
    ) in doc
    await pm(bot, "export json", user_id="U111", channel_id=channel)
    exported = json.loads(await uploaded(bot, f"incident-{row.incident_id}-record.json"))
    figures = exported["error_budget"]
    assert figures["service"] == "checkout" and close(figures["spent_by_incident"], 0.514, 0.01)
    stats = await command(bot, "stats", command="/incident", channel=channel)
    [section] = [t for t in section_texts(stats) if "Error budget spent" in t]
    assert "`checkout`: 51.4% (1 incident)" in section


async def gate(bot: RunningBot) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {GATE_TOKEN}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(bot.url + "/api/deploy-gate", headers=headers) as resp:
            return resp.status, await resp.json()


async def test_the_gate_closes_for_a_spent_budget_and_opens_when_waived(
    known: RunningPrometheus, start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, known, tmp_path)
    status, body = await gate(bot)
    assert status == 423 and body["blocked"] and body["items"] == []
    [spent] = body["budgets"]  # checkout has 8.6 % left: not listed
    assert spent["service"] == "payments" and spent["state"] == "spent" and spent["blocked"]
    assert "error budget of payments (99% over 30d) spent (357.1% over)" in spent["reason"]
    channel = await declare(bot, "--service payments sev2 Payments failing")
    refused = await pm(bot, "waive budget ship the fix", user_id="U222", channel_id=channel)
    assert "Only the incident's commander" in refused
    told = await pm(bot, "waive budget ship the fix", user_id="U111", channel_id=channel)
    assert told.startswith(":unlock: Deploys of `payments` go ahead") and "ship the fix" in told
    again = await pm(bot, "waive budget twice", user_id="U111", channel_id=channel)
    assert "waived already" in again
    status, body = await gate(bot)
    assert status == 200 and not body["blocked"]
    [waived] = body["budgets"]
    assert waived["state"] == "waived" and not waived["blocked"]
    assert "#" in waived["reason"] and "ship the fix" not in json.dumps(body)
    other = await declare(bot, "--service checkout sev2 Checkout slow")
    not_spent = await pm(bot, "waive budget no", user_id="U111", channel_id=other)
    assert "is not spent (8.6% left)" in not_spent
    await declare_finished(bot)


async def test_prometheus_stopped_is_said_once_and_blocks_nothing(
    known: RunningPrometheus, start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, known, tmp_path, update_interval_seconds=1)
    channel = await declare(bot, "--service checkout sev2 Checkout slow")
    await card_says(bot, channel, "*8.6%* of the budget left")
    await known.stop()
    await card_says(bot, channel, ":warning: *Error budget* `checkout`", "is unreachable")

    def reminders() -> int:
        return len([p for p in posts_in(bot, channel) if "status update" in p["text"].lower()])

    seen = reminders()
    await bot.fake.wait_for(lambda: reminders() >= seen + 3, timeout=30, what="more reminders")
    await declare_finished(bot)
    said = [p for p in posts_in(bot, channel) if p["text"].startswith(":warning: *Error budget*")]
    assert len(said) == 1 and "\n" not in said[0]["text"]
    # A declare meanwhile is answered; the gate says it does not know, and stays open.
    started = time.monotonic()
    await declare(bot, "--service payments sev2 Payments failing")
    assert time.monotonic() - started < 10
    status, body = await gate(bot)
    assert status == 200 and {b["state"] for b in body["budgets"]} == {"unknown"}
    assert "not holding deploys" in body["budgets"][0]["reason"]
