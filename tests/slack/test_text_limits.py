"""Limits on every text (issue 17, finding 5): every subcommand refuses over-long text with a
short excerpt and does nothing; what the bot posts fits Block Kit's limits; long lists page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import func, select

import handlers  # noqa: F401  (registers every subcommand)
from bot.followthrough.states import action_entries
from bot.slack.dispatch import MAX_COMMAND_TEXT
from bot.slack.grammar import registry
from bot.slack.mrkdwn import PAGE_LIMIT, pages_of
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry
from storage.types import utcnow
from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import key
from tests.support.postmortem_helpers import ask, declare_here

MAX_BLOCKS = 50  # per message
MAX_SECTION_TEXT = 3000
MAX_MESSAGE_TEXT = 40_000


def assert_fits_slack(params: dict[str, Any]) -> None:
    """A chat.postMessage / postEphemeral / response_url body within Block Kit's limits."""
    assert len(params.get("text") or "") <= MAX_MESSAGE_TEXT
    blocks = params.get("blocks") or []
    assert len(blocks) <= MAX_BLOCKS, len(blocks)
    for block in blocks:
        text = (block.get("text") or {}).get("text") or ""
        assert len(text) <= MAX_SECTION_TEXT, (block.get("type"), len(text))
        for field in block.get("fields") or []:
            assert len(field.get("text") or "") <= 2000


async def answer(bot: RunningBot, command: str, text: str) -> str:
    response_key = key()
    await bot.slack.command(text, command=command, channel_id="C111", response_key=response_key)
    found = await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == response_key), None),
        what=f"the answer to {command} {text[:30]}",
    )
    return found["text"]


async def row_counts(bot: RunningBot) -> tuple[int, ...]:
    async with bot.rt.db.session() as session:
        counts = []
        for table in (Incident, TimelineEntry, PostmortemItem, ActionItem):
            counts.append((await session.exec(select(func.count()).select_from(table))).one())
        incident = await session.get(Incident, 1)
        assert incident is not None
    return (*counts, incident.status, incident.resolution_summary)  # type: ignore[return-value]


async def test_every_subcommand_refuses_100_kb_with_a_short_excerpt(bot: RunningBot) -> None:
    await declare_here(bot)
    before = await row_counts(bot)
    big = "A" * 80 + " " + "secret-tail " * 9000  # about 100 kB
    for command in registry.commands():
        for sub in registry.subcommands(command):
            text = await answer(bot, command, f"{sub.name} {big}")
            assert f"takes at most {MAX_COMMAND_TEXT:,}" in text, (sub.synopsis, text[:200])
            assert "Nothing was done" in text
            assert len(text) < 400 and "secret-tail secret-tail secret-tail" not in text
    assert await row_counts(bot) == before
    for response in bot.fake.responses:
        assert_fits_slack(response)


async def test_refusals_quote_only_an_excerpt_of_long_words(bot: RunningBot) -> None:
    await declare_here(bot)
    long_word = "Z" * 2900
    for command, text in (
        ("/incident", long_word),
        ("/incident", f"status {long_word}"),
        ("/incident", f"severity {long_word}"),
        ("/incident", f"role {long_word} <@U222>"),
        ("/incident", f"log {long_word} happened"),
        ("/incident", f"cadence {long_word}"),
        ("/incident", f"declare --{long_word} title"),
        ("/postmortem", f"export {long_word}"),
        ("/postmortem", f"action P1 <@U222> {long_word} Add a p99 latency alert"),
    ):
        said = await answer(bot, command, text)
        assert "Z" * 100 not in said, (text[:20], said[:200])
        assert "Z" * 20 in said, (text[:20], said[:200])  # an excerpt, not nothing


async def test_a_long_resolve_summary_fits_every_post(bot: RunningBot) -> None:
    await declare_here(bot)
    summary = "The pool &lt;db-1&gt; was exhausted. " * 100  # under 4,000 characters, escaped
    assert len(summary) < MAX_COMMAND_TEXT
    said = await answer(bot, "/incident", f"resolve {summary}")
    assert "resolved" in said.lower()
    posts = bot.fake.calls_to("chat.postMessage") + bot.fake.calls_to("chat.update")
    assert any(p["channel"] == BROADCAST for p in posts)
    for params in posts:
        assert_fits_slack(params)


def _items(incident_id: int, count: int) -> list[ActionItem]:
    due = (utcnow() + timedelta(days=30)).date()
    return [
        ActionItem(
            id=n,
            incident_id=incident_id,
            number=n,
            priority="P1" if n % 7 else "P0",  # P0s without criteria carry a warning line
            owner_id="U222",
            due_date=due,
            text=f"Add an alert on queue depth for shard {n} at 10k messages",
        )
        for n in range(1, count + 1)
    ]


def _numbers(text: str) -> list[int]:
    return [int(line.split(".")[0]) for line in text.splitlines() if line[:1].isdigit()]


def test_the_pages_of_five_thousand_items_hold_each_item_once_and_whole() -> None:
    """Every page a slash command could ask for, without 150 requests: the same functions."""
    entries = action_entries(_items(1, 5000), {}, today=utcnow().date())
    pages = pages_of(entries)
    assert len(pages) > 1
    assert all(sum(len(e) + 1 for e in page) <= PAGE_LIMIT for page in pages)
    shown = [n for page in pages for n in _numbers("\n".join(page))]
    assert shown == list(range(1, 5001))  # each once, in order
    # Whole: each item with its notes, none cut or dropped, on one page.
    assert [entry for page in pages for entry in page] == entries


async def test_five_thousand_action_items_page(bot: RunningBot) -> None:
    incident = await declare_here(bot)
    async with bot.rt.db.session() as session:
        for item in _items(incident.id or 0, 5000):
            item.id = None
            session.add(item)
    first = await ask(bot, "actions")
    assert len(first) <= 4000
    assert "page 1 of " in first
    pages = int(first.split("page 1 of ")[1].split(":")[0])
    assert pages > 1
    asked = {1: first}
    for page in (2, pages // 2, pages):
        asked[page] = await ask(bot, f"actions {page}")
    for page, text in asked.items():
        assert len(text) <= 4000
        assert f"page {page} of {pages}" in text
        assert ("Next: `/postmortem actions" in text) == (page < pages)
    one, two = _numbers(asked[1]), _numbers(asked[2])
    assert one[0] == 1 and two[0] == one[-1] + 1  # page 2 goes on where page 1 stopped
    assert _numbers(asked[pages])[-1] == 5000
    assert f"not {pages + 1}" in await ask(bot, f"actions {pages + 1}")
    assert "is not a page number" in await ask(bot, "actions x")
