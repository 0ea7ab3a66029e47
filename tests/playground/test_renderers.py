"""Every Block Kit block and element type the bot sends has a renderer in the playground
(bot/playground/blockkit.py), so a new builder cannot silently show nothing there (issue 30).

Two ways: the types named in the bot's source (any `"type": "..."` literal), and the blocks of
what a real bot run sent the stand-in: messages, ephemerals, views, App Home and response_urls.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from bot.playground.blockkit import BLOCKS, ELEMENTS, render_blocks
from tests.conftest import RunningBot
from tests.support.postmortem_helpers import ask
from tests.support.slack_requests import load_payload

ROOT = Path(__file__).resolve().parents[2]
# "type" values in the bot's source that are not Block Kit blocks or elements: text objects
# and views, rich-text runs inside a renderer's own vocabulary, JSON Schema, canvases' and
# documents' own formats, and message/event types.
NOT_BLOCK_KIT = {
    "modal", "home", "message", "ephemeral", "tombstone",  # views, messages, subtypes
    "string", "array", "object", "integer", "number", "boolean",  # JSON Schema
    "doc", "heading", "paragraph", "text", "strong", "link",  # markdown-it's tokens
    "bulletList", "listItem",  # Atlassian's document format (Jira tickets)
    "http", "http.request", "http.disconnect",  # ASGI messages (bot/api/mcp_http.py)
}  # fmt: skip


def _type_literals() -> dict[str, str]:
    """Each `"type": "<x>"` dict entry and `type="<x>"` keyword in bot/ (the playground
    aside): the value, and one place it is written."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if "playground" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            pairs: list[tuple[Any, Any]] = []
            if isinstance(node, ast.Dict):
                pairs = list(zip(node.keys, node.values, strict=True))
            elif isinstance(node, ast.Call):
                pairs = [(ast.Constant(k.arg), k.value) for k in node.keywords if k.arg]
            for key, value in pairs:
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "type"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.setdefault(value.value, where)
    return found


def test_every_type_the_bot_names_has_a_renderer() -> None:
    literals = _type_literals()
    missing = {
        kind: where
        for kind, where in literals.items()
        if kind not in BLOCKS | ELEMENTS | NOT_BLOCK_KIT
    }
    assert not missing, (
        "Block Kit types with no renderer in bot/playground/blockkit.py (add one, or list a "
        f"type that is not Block Kit in NOT_BLOCK_KIT): {missing}"
    )
    assert {"section", "actions", "input", "button", "static_select"} <= set(literals)


def _sent_blocks(bot: RunningBot) -> list[tuple[str, Any]]:
    fake = bot.fake
    found: list[tuple[str, Any]] = []
    for call in fake.calls:
        if call.ok and isinstance(call.params.get("blocks"), list):
            found.append((call.method, call.params["blocks"]))
        view = call.params.get("view")
        if call.ok and isinstance(view, dict):
            found.append((call.method, view.get("blocks")))
    found += [("response_url", r["blocks"]) for r in fake.responses if r.get("blocks")]
    return found


async def test_what_a_bot_run_sends_renders_without_an_unknown_type(bot: RunningBot) -> None:
    await bot.slack.command("declare sev2 Checkout is down", user_id="U111")
    await bot.fake.wait_for_call("conversations.create")
    assert await bot.rt.wait_idle(15)
    room = bot.fake.done("conversations.create")[0]["name"]
    channel = next(c.id for c in bot.fake.channels.values() if c.name == room)
    await bot.slack.command("help", user_id="U111", channel_id=channel)
    shortcut = load_payload("interactive_global_shortcut.bolt.json")
    shortcut |= {"callback_id": "declare_incident", "trigger_id": "1.2.renderers"}
    shortcut["user"]["id"] = "U111"
    await bot.slack.interaction(shortcut)
    await bot.fake.wait_for_call("views.open")
    await ask(bot, "impact Checkout failed for a fifth of buyers", channel_id=channel)
    await bot.slack.command("draft", command="/postmortem", user_id="U111", channel_id=channel)
    await bot.slack.event({"type": "app_home_opened", "user": "U111", "tab": "home"})
    await bot.fake.wait_for_call("views.publish")
    assert await bot.rt.wait_idle(15)
    sent = _sent_blocks(bot)
    assert {"chat.postMessage", "views.open", "views.publish"} <= {m for m, _ in sent}
    unknown = {
        u
        for method, blocks in sent
        for u in render_blocks(blocks, modal=method.startswith("views")).unknown
    }
    assert unknown == set(), f"the bot sent Block Kit the playground cannot show: {unknown}"


def test_an_unknown_type_is_shown_and_counted() -> None:
    rendered = render_blocks([{"type": "video", "title": {"type": "plain_text", "text": "x"}}])
    assert rendered.unknown == ["block video"]
    assert "no renderer for block video" in rendered.html


def test_everything_from_a_message_is_escaped() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "<script>alert(1)</script> *b*"}},
        {"type": "header", "text": {"type": "plain_text", "text": '"><img src=x onerror=1>'}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "<javascript:alert(1)|click>"}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": 'a"><b>',
                    "text": {"type": "plain_text", "text": "<i>x</i>"},
                    "value": "\"'<>",
                }
            ],
        },
    ]
    html = str(render_blocks(blocks).html)
    assert "<script" not in html and "<img" not in html and "<i>x" not in html
    assert "javascript:" not in html.split("click")[0][-40:] or 'href="javascript' not in html
    assert 'href="javascript' not in html
    assert "<b>b</b>" in html  # mrkdwn still formats
