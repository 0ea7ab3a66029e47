"""Steps of the status-page tests: a bot with a `status_page` section, the publish form opened
and submitted as Slack sends it, and reading the page over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDict

from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import key
from tests.support.slack_requests import view_submission

CONFIG = """\
services:
  - name: payments
    components: [Dashboard]
status_page:
  title: Example Inc. status
  home_url: https://example.com
  components:
    - name: API
      group: Core
      description: Public REST API
      statuspage_id: 8kbf7d35c070
    - name: Dashboard
"""
BASE = "https://sisyphus.example.com"
JSON_DOCS = (
    "status.json",
    "summary.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
)


async def start_with_page(start_bot: StartBot, tmp_path: Path, **overrides: Any) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    return await start_bot(config_file=str(path), web_base_url=BASE + "/", **overrides)


async def get(
    bot: RunningBot, path: str, headers: dict[str, str] | None = None
) -> tuple[int, CIMultiDict[str], str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(bot.url + path, headers=headers or {}) as resp:
            return resp.status, CIMultiDict(resp.headers), await resp.text()


async def get_json(bot: RunningBot, name: str) -> dict[str, Any]:
    status, headers, body = await get(bot, f"/status/api/v2/{name}")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


async def open_form(bot: RunningBot, channel: str, user: str = "U111") -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.open"))
    response_key = key()
    await bot.slack.command(
        "publish",
        channel_id=channel,
        user_id=user,
        response_key=response_key,
        trigger_id=f"t.{response_key}",
    )
    opened = await bot.fake.wait_for_call("views.open", before + 1)
    return opened[before]["view"]


def form_values(
    view: dict[str, Any], title: str, body: str, status: str, states: dict[str, str]
) -> dict[str, Any]:
    """What Slack sends back for the form: the inputs typed, a choice for each select."""
    values: dict[str, Any] = {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "body": {"value": {"type": "plain_text_input", "value": body}},
        "status": {"value": {"type": "static_select", "selected_option": {"value": status}}},
    }
    for block in view["blocks"]:
        if not block.get("block_id", "").startswith("component_"):
            continue
        chosen = states.get(block["label"]["text"].split(": ")[-1], "not_affected")
        values[block["block_id"]] = {
            "value": {"type": "static_select", "selected_option": {"value": chosen}}
        }
    return values


async def submit(
    bot: RunningBot,
    view: dict[str, Any],
    *,
    title: str,
    body: str,
    status: str,
    states: dict[str, str],
    user: str = "U111",
) -> Any:
    payload = view_submission(
        view["callback_id"],
        form_values(view, title, body, status, states),
        user_id=user,
        private_metadata=view["private_metadata"],
    )
    return await bot.slack.interaction(payload)


async def told(bot: RunningBot, needle: str, timeout: float = 10.0) -> dict[str, Any]:
    """The ephemeral (or DM) that says `needle`."""

    def found() -> dict[str, Any] | None:
        for method in ("chat.postEphemeral", "chat.postMessage"):
            for call in bot.fake.calls_to(method):
                if needle in (call.get("text") or ""):
                    return call
        return None

    return await bot.fake.wait_for(found, timeout, f"an answer saying {needle!r}")


async def publish(
    bot: RunningBot, channel: str, *, title: str, body: str, status: str, states: dict[str, str]
) -> None:
    before = len(
        [c for c in bot.fake.calls_to("chat.postEphemeral") if "Published" in c.get("text", "")]
    )
    view = await open_form(bot, channel)
    resp = await submit(bot, view, title=title, body=body, status=status, states=states)
    assert resp.status == 200
    await bot.fake.wait_for(
        lambda: (
            len(
                [
                    c
                    for c in bot.fake.calls_to("chat.postEphemeral")
                    if "Published to the status page" in c.get("text", "")
                ]
            )
            > before
        ),
        what="the publisher told",
    )
