"""The fake Slack answers as Slack does where Slack is strict (issue 18), so a bot that
relies on leniency fails here before it fails in a workspace. Each answer is checked with raw
Web API calls, without the bot."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import aiohttp

from tests.conftest import BROADCAST
from tests.support.fake_slack import FakeSlack


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


async def test_only_the_bots_own_known_messages_can_be_updated_or_deleted(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.invite_bot("C111")
    posted = await call(fake_slack, "chat.postMessage", channel="C111", text="one")
    ts = posted["ts"]
    said = fake_slack.add_message("C111", {"user": "U111", "text": "a person's"})
    for method in ("chat.update", "chat.delete"):
        unknown = await call(fake_slack, method, channel="C111", ts="1.000001", text="x")
        assert error(unknown) == "message_not_found", method
        verb = method.split(".")[1]
        theirs = await call(fake_slack, method, channel="C111", ts=said["ts"], text="x")
        assert error(theirs) == f"cant_{verb}_message", method
    assert error(await call(fake_slack, "chat.update", channel="C111", ts=ts, text="two")) is None
    assert [m["text"] for m in fake_slack.channels["C111"].messages] == ["two", "a person's"]
    assert error(await call(fake_slack, "chat.delete", channel="C111", ts=ts)) is None
    gone = await call(fake_slack, "chat.update", channel="C111", ts=ts, text="three")
    assert error(gone) == "message_not_found"
    # A direct message is the bot's too: it can be updated.
    dm = await call(fake_slack, "chat.postMessage", channel="U111", text="hello")
    assert error(await call(fake_slack, "chat.update", channel="U111", ts=dm["ts"], text="hi")) is (
        None
    )


async def test_users_info_knows_only_the_workspaces_people(fake_slack: FakeSlack) -> None:
    known = await call(fake_slack, "users.info", user="U111")
    assert known["ok"] and known["user"]["id"] == "U111" and known["user"]["team_id"] == "T111"
    assert not known["user"]["is_restricted"]
    assert error(await call(fake_slack, "users.info", user="UNOBODY")) == "user_not_found"
    fake_slack.add_user("UGUEST", is_restricted=True)
    guest = await call(fake_slack, "users.info", user="UGUEST")
    assert guest["user"]["is_restricted"] is True


async def test_users_lookup_by_email_is_as_the_web_api_describes_it(fake_slack: FakeSlack) -> None:
    """users.lookupByEmail (../shared/slack's OpenAPI description): the member with that
    email, `users_not_found` else; it needs users:read.email."""
    fake_slack.add_user("UCAROL", profile={"email": "carol@example.com"})
    found = await call(fake_slack, "users.lookupByEmail", email="Carol@Example.com")
    assert found["ok"] and found["user"]["id"] == "UCAROL"
    answer = await call(fake_slack, "users.lookupByEmail", email="nobody@example.com")
    assert error(answer) == "users_not_found"
    fake_slack.granted_scopes.remove("users:read.email")
    assert error(await call(fake_slack, "users.lookupByEmail", email="x@example.com")) == (
        "missing_scope"
    )


async def test_a_modal_opens_only_with_a_trigger_id(fake_slack: FakeSlack) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "blocks": []}
    for method in ("views.open", "views.push"):
        assert error(await call(fake_slack, method, view=view)) == "invalid_trigger_id"
        assert error(await call(fake_slack, method, trigger_id="", view=view)) == (
            "invalid_trigger_id"
        )
        opened = await call(fake_slack, method, trigger_id="12345.98765.abcd", view=view)
        assert opened["ok"] and opened["view"]["id"].startswith("V")


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


async def test_blocks_over_block_kits_limits_are_refused(fake_slack: FakeSlack) -> None:
    fake_slack.init_tiers(enforced=False)  # many posts in one channel: tiers are not the point
    fake_slack.invite_bot("C111")
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}}
    over = {
        "51 blocks": [section("x")] * 51,
        "section text of 3001": [section("x" * 3001)],
        "header of 151": [header],
        "block_id of 256": [section("x", block_id="b" * 256)],
        "action_id of 256": [{"type": "actions", "elements": [{**button, "action_id": "a" * 256}]}],
    }
    for what, blocks in over.items():
        answer = await call(fake_slack, "chat.postMessage", channel="C111", text="t", blocks=blocks)
        assert error(answer) == "invalid_blocks", what
    at_limits = [
        section("x" * 3000, block_id="b" * 255),
        {**header, "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "actions", "elements": [{**button, "action_id": "a" * 255}]},
    ] + [section("x")] * 47
    posted = await call(fake_slack, "chat.postMessage", channel="C111", text="t", blocks=at_limits)
    assert error(posted) is None
    ts = posted["ts"]
    updated = await call(
        fake_slack, "chat.update", channel="C111", ts=ts, text="t", blocks=[section("x")] * 51
    )
    assert error(updated) == "invalid_blocks"
    too_long = await call(fake_slack, "chat.postMessage", channel="C111", text="x" * 40_001)
    assert error(too_long) == "msg_too_long"
    assert error(await call(fake_slack, "chat.postMessage", channel="C111", text="x" * 40_000)) is (
        None
    )
    # A view takes 100 blocks.
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}}
    for count, expected in ((100, None), (101, "invalid_blocks")):
        view = {**modal, "blocks": [section("x")] * count}
        opened = await call(fake_slack, "views.open", trigger_id="1.2.a", view=view)
        assert error(opened) == expected, count
        published = await call(fake_slack, "views.publish", user_id="U111", view=view)
        assert error(published) == expected, count
        updated = await call(fake_slack, "views.update", view_id="V1", view=view)
        assert error(updated) == expected, count


async def test_history_time_range_and_cursors_are_as_documented(fake_slack: FakeSlack) -> None:
    fake_slack.invite_bot("C111")
    said = [
        fake_slack.add_message(
            "C111", {"user": "U111", "text": str(n), "ts": f"1700000000.00000{n}"}
        )
        for n in range(1, 6)
    ]
    ts = [m["ts"] for m in said]

    async def history(**params: Any) -> list[str]:
        answer = await call(fake_slack, "conversations.history", channel="C111", **params)
        assert answer["ok"], answer
        return [m["ts"] for m in answer["messages"]]

    assert await history() == ts[::-1]  # newest first
    assert await history(oldest=ts[1], latest=ts[3]) == [ts[2]]  # both bounds excluded
    assert await history(oldest=ts[1], latest=ts[3], inclusive=True) == [ts[3], ts[2], ts[1]]
    assert await history(oldest=ts[3]) == [ts[4]]

    # Replies: the parent first, always; the replies within the range, oldest first.
    parent = ts[0]
    replies = [
        fake_slack.add_message(
            "C111", {"user": "U111", "text": "r", "ts": f"1700000001.00000{n}", "thread_ts": parent}
        )["ts"]
        for n in range(1, 4)
    ]
    thread = await call(
        fake_slack, "conversations.replies", channel="C111", ts=parent, oldest=replies[0]
    )
    assert [m["ts"] for m in thread["messages"]] == [parent, replies[1], replies[2]]
    thread = await call(
        fake_slack,
        "conversations.replies",
        channel="C111",
        ts=parent,
        oldest=replies[0],
        latest=replies[2],
        inclusive=True,
    )
    assert [m["ts"] for m in thread["messages"]] == [parent, *replies]

    # Cursors: opaque, and only those given out are accepted.
    first = await call(fake_slack, "conversations.history", channel="C111", limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    assert first["has_more"] and cursor and not cursor.isdigit()
    second = await call(fake_slack, "conversations.history", channel="C111", limit=2, cursor=cursor)
    assert [m["ts"] for m in second["messages"]] == [ts[2], ts[1]]
    for bad in ("2", "bogus"):
        refused = await call(fake_slack, "conversations.history", channel="C111", cursor=bad)
        assert error(refused) == "invalid_cursor"


async def test_message_ts_is_the_time_of_posting_unique_and_increasing(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.init_tiers(enforced=False)
    fake_slack.invite_bot("C111")
    before = time.time()
    posted = [
        (await call(fake_slack, "chat.postMessage", channel="C111", text=str(n)))["ts"]
        for n in range(20)
    ]
    after = time.time()
    assert all(before - 0.001 <= float(t) <= after + 0.001 for t in posted), (before, posted)
    assert [Decimal(t) for t in posted] == sorted({Decimal(t) for t in posted})
    assert all(len(t.split(".")[1]) == 6 for t in posted)
