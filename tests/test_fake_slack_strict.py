"""The fake Slack answers as Slack does where Slack is strict (issue 18), so a bot that
relies on leniency fails here before it fails in a workspace. Each answer is checked with raw
Web API calls, without the bot."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.conftest import BROADCAST
from tests.fake_slack import FakeSlack


async def call(fake: FakeSlack, method: str, **params: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.post(fake.base_url + method, json=params) as r:
        assert r.status == 200
        return await r.json()


def error(answer: dict[str, Any]) -> str | None:
    return None if answer["ok"] else answer["error"]


async def test_the_bot_posts_and_reads_only_where_it_is_a_member(fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("GSECRET", "secret", is_private=True)
    for method, params in [
        ("chat.postMessage", {"text": "hi"}),
        ("conversations.history", {}),
        ("conversations.setTopic", {"topic": "t"}),
    ]:
        # A public channel nobody invited it to: not_in_channel.
        assert error(await call(fake_slack, method, channel=BROADCAST, **params)) == (
            "not_in_channel"
        ), method
        # A private one it is not in does not even exist for it.
        assert error(await call(fake_slack, method, channel="GSECRET", **params)) == (
            "channel_not_found"
        ), method
    assert error(await call(fake_slack, "conversations.info", channel="GSECRET")) == (
        "channel_not_found"
    )
    info = await call(fake_slack, "conversations.info", channel=BROADCAST)  # public: visible
    assert info["ok"] and info["channel"]["is_member"] is False
    assert fake_slack.done("chat.postMessage") == []

    # Joining a public channel works; a private one only by invitation.
    assert error(await call(fake_slack, "conversations.join", channel=BROADCAST)) is None
    assert error(await call(fake_slack, "chat.postMessage", channel=BROADCAST, text="hi")) is None
    assert error(await call(fake_slack, "conversations.join", channel="GSECRET")) == (
        "method_not_supported_for_channel_type"
    )
    fake_slack.invite_bot("GSECRET")
    assert error(await call(fake_slack, "chat.postMessage", channel="GSECRET", text="hi")) is None
    # Channels it created, and direct messages, are always fine.
    created = await call(fake_slack, "conversations.create", name="inc-1")
    room = created["channel"]["id"]
    assert error(await call(fake_slack, "chat.postMessage", channel=room, text="hi")) is None
    assert error(await call(fake_slack, "chat.postMessage", channel="U111", text="hi")) is None
    assert [p["channel"] for p in fake_slack.done("chat.postMessage")] == [
        BROADCAST,
        "GSECRET",
        room,
        "U111",
    ]


async def test_a_failure_for_one_channel_matches_channel_id_too(fake_slack: FakeSlack) -> None:
    fake_slack.invite_bot("C111")
    fake_slack.add_channel("C999", "elsewhere", bot_member=True)
    fake_slack.fail("files.completeUploadExternal", error="not_in_channel", channel="C999")
    other = await call(fake_slack, "files.completeUploadExternal", channel_id="C111", files=[])
    assert error(other) is None
    failed = await call(fake_slack, "files.completeUploadExternal", channel_id="C999", files=[])
    assert error(failed) == "not_in_channel"
