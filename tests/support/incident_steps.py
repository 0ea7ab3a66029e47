"""Steps shared by the role, status and cadence tests: declare, find prompts, click buttons."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from typing import Any

from sqlmodel import col, select

from bot.cadence.scheduler import PromptScheduler
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry
from tests.conftest import RunningBot
from tests.support.slack_requests import load_payload, view_submission

_keys = itertools.count(1)


async def declare(bot: RunningBot, title: str = "Checkout returns 500s", user: str = "U111") -> str:
    """Declare through the slash command; once the declarer is told, return the war room id."""
    before = len(bot.fake.calls_to("conversations.create"))
    response_key = key()
    await bot.slack.command(f"declare sev2 {title}", user_id=user, response_key=response_key)
    await bot.fake.wait_for(
        lambda: any(r["_key"] == response_key for r in bot.fake.responses), what="declared"
    )
    await declare_finished(bot)
    created = bot.fake.calls_to("conversations.create")[before]
    [channel_id] = channel_ids(bot, created["name"])
    return channel_id


async def declare_finished(bot: RunningBot) -> None:
    """The declarer is answered as soon as the war room exists, while the card, topic,
    invitation and announcement may still be on their way (issue 29): wait for those too
    (for every command and event in flight)."""
    assert await bot.rt.wait_idle(15), "the declare did not finish"


def channel_ids(bot: RunningBot, name: str) -> list[str]:
    return [c.id for c in bot.fake.channels.values() if c.name == name]


def key() -> str:
    return f"k{next(_keys)}"


async def run(
    bot: RunningBot, text: str, channel: str, user: str = "U111", command: str = "/incident"
) -> dict[str, Any]:
    """Send `<command> <text>` and return the ephemeral answer."""
    response_key = key()
    await bot.slack.command(
        text, command=command, channel_id=channel, user_id=user, response_key=response_key
    )
    return await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == response_key), None),
        what=f"the answer to {command} {text}",
    )


def posts_in(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """Messages posted in `channel`: the chat.postMessage calls Slack answered ok."""
    return [p for p in bot.fake.done("chat.postMessage") if p["channel"] == channel]


def is_prompt(params: dict[str, Any]) -> bool:
    return any(b.get("block_id") == "update_prompt" for b in params.get("blocks") or [])


def prompts_in(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """Reminders posted in `channel` (Slack answered ok)."""
    return [p for p in posts_in(bot, channel) if is_prompt(p)]


def prompt_attempts(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """Every try to post a reminder in `channel`: refused, failed, in flight or posted."""
    return [
        p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == channel and is_prompt(p)
    ]


async def wait_for_prompts(
    bot: RunningBot, channel: str, count: int, timeout: float = 10.0
) -> list[dict[str, Any]]:
    return await bot.fake.wait_for(
        lambda: len(prompts_in(bot, channel)) >= count and prompts_in(bot, channel),
        timeout,
        f"{count} prompt(s) in {channel}",
    )


def button(params: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in params.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {params.get('blocks')}")


def click(
    bot: RunningBot, params: dict[str, Any], action_id: str, user: str, channel: str
) -> dict[str, Any]:
    """A block_actions payload (from the real one in tests/support/payloads) pressing a button on
    the message posted with `params`."""
    ts = bot.fake.ts_of(params)  # fails the test if it was never posted
    payload = copy.deepcopy(load_payload("interactive_block_actions.bolt.json"))
    element = button(params, action_id)
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["container"].update(channel_id=channel, is_ephemeral=False)
    payload["container"]["message_ts"] = ts
    payload["trigger_id"] = f"trigger-{next(_keys)}"
    payload["actions"][0].update(
        action_id=action_id, value=element["value"], text=element["text"], block_id="b"
    )
    return payload


def update_form(view: dict[str, Any], user: str = "U111", **fields: str) -> dict[str, Any]:
    values = {
        block: {"value": {"type": "plain_text_input", "value": text}}
        for block, text in fields.items()
    }
    return view_submission(
        view["callback_id"], values, user_id=user, private_metadata=view["private_metadata"]
    )


async def incident(bot: RunningBot, incident_id: int = 1) -> Incident:
    async with bot.rt.db.session() as session:
        found = await session.get(Incident, incident_id)
    assert found is not None
    return found


async def entries(bot: RunningBot, kind: str | None = None) -> list[TimelineEntry]:
    async with bot.rt.db.session() as session:
        stmt = select(TimelineEntry).order_by(col(TimelineEntry.id))
        if kind:
            stmt = stmt.where(TimelineEntry.kind == kind)
        return list((await session.exec(stmt)).all())


async def prompt_rows(bot: RunningBot) -> list[UpdatePrompt]:
    async with bot.rt.db.session() as session:
        stmt = select(UpdatePrompt).order_by(col(UpdatePrompt.incident_id), UpdatePrompt.due_at)
        return list((await session.exec(stmt)).all())


async def sent_prompt_rows(bot: RunningBot, count: int, timeout: float = 5.0) -> list[UpdatePrompt]:
    """The prompt rows once `count` of them are marked sent (that happens just after posting)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await prompt_rows(bot)
        sent = len([r for r in rows if r.sent_at])
        if sent >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{sent} of {count} prompt(s) marked sent after {timeout} s")
        await asyncio.sleep(0.05)


def text_of(params: dict[str, Any]) -> str:
    return json.dumps(params.get("blocks")) + params.get("text", "")


def prompt_scheduler(bot: RunningBot) -> PromptScheduler:
    """The bot's reminder scheduler (installed as a start-up hook)."""
    found = [
        hook.__self__
        for hook in bot.rt.startup_hooks
        if isinstance(getattr(hook, "__self__", None), PromptScheduler)
    ]
    assert len(found) == 1, found
    return found[0]


async def polls_later(bot: RunningBot, n: int = 4) -> None:
    """Wait until the reminder scheduler has polled the database `n` more times: with a poll
    each second and reminders planned two seconds ahead, after four polls any reminder
    planned before has fired. The way to show that no reminder comes, without a fixed sleep."""
    scheduler = prompt_scheduler(bot)
    target = scheduler.runs + n
    await bot.fake.wait_for(
        lambda: scheduler.runs >= target, timeout=10 + 2 * n, what=f"{n} more polls"
    )
