"""Edits and deletions made while the bot was down are reconciled by the history backfill:
a newer `edited.ts` becomes a revision, a stored message gone from history a tombstone."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select

from storage.models.incidents import Incident
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.postmortem_helpers import uploaded
from tests.support.timeline_helpers import (
    WAR_ROOM,
    background_done,
    declare_here,
    entries,
    event_from,
    revisions,
)


def said(text: str, ts: str, user: str = "U333", **extra: object) -> dict:
    message = event_from("event_message_user.bolt.json", text=text, ts=ts, user=user, **extra)
    for key in ("channel", "event_ts", "channel_type"):
        message.pop(key, None)
    return message


def ago(seconds: float) -> str:
    return f"{time.time() - seconds:.6f}"


async def _backdate_incident(bot: RunningBot, seconds: int) -> None:
    async with bot.rt.db.session() as session:
        incident = (await session.exec(select(Incident))).one()
        incident.declared_at = utcnow() - timedelta(seconds=seconds)
        session.add(incident)


async def _say_live_and_in_history(bot: RunningBot, fake: FakeSlack, message: dict) -> None:
    await bot.slack.event({**message, "channel": WAR_ROOM})
    fake.add_message(WAR_ROOM, message)


async def _ask(bot: RunningBot, text: str, command: str = "/incident") -> str:
    before = len(bot.fake.responses)
    await bot.slack.command(text, command=command, channel_id=WAR_ROOM, response_key="r")
    return (await bot.fake.wait_for_response(before + 1))["text"]


async def test_edits_and_deletions_while_down_are_reconciled_once(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    bot = await start_bot()
    await declare_here(bot)
    await _backdate_incident(bot, 900)
    m_edit, m_gone, m_same = ago(600), ago(590), ago(580)
    parent, r_edit, r_gone = ago(570), ago(560), ago(550)
    lone_parent, lone_reply = ago(540), ago(530)
    for message in (
        said("db at 90% cpu", m_edit),
        said("password is hunter2", m_gone),
        said("rolling back", m_same),
        said("why?", parent),
        said("cache stampede", r_edit, thread_ts=parent),
        said("wrong thread", r_gone, thread_ts=parent),
        said("parent to delete", lone_parent),
        said("reply that stays", lone_reply, thread_ts=lone_parent),
    ):
        await _say_live_and_in_history(bot, fake_slack, message)
    assert len(await entries(bot)) == 8
    await bot.stop()

    # While the bot is down, people edit and delete.
    fake_slack.edit_in_history(WAR_ROOM, m_edit, "db at 100% cpu", edited_ts=ago(120))
    fake_slack.delete_from_history(WAR_ROOM, m_gone)
    fake_slack.edit_in_history(WAR_ROOM, r_edit, "cache stampede on login", edited_ts=ago(110))
    fake_slack.delete_from_history(WAR_ROOM, r_gone)
    fake_slack.delete_from_history(WAR_ROOM, lone_parent)  # stays as Slack's tombstone

    bot = await start_bot()
    await background_done(bot)
    by_ts = {e.ts: e for e in await entries(bot)}
    assert by_ts[m_edit].text == "db at 100% cpu" and by_ts[m_edit].edited_at is not None
    assert by_ts[r_edit].text == "cache stampede on login"
    for gone in (m_gone, r_gone, lone_parent):
        assert by_ts[gone].deleted_at is not None and by_ts[gone].text == ""
        assert by_ts[gone].deleted_while_away is True
    for kept in (m_same, parent, lone_reply):
        assert by_ts[kept].deleted_at is None and not by_ts[kept].deleted_while_away
    old_texts = sorted(r.text for r in await revisions(bot))
    assert old_texts == ["cache stampede", "db at 90% cpu"]
    replies = {c["ts"] for c in fake_slack.calls_to("conversations.replies")}
    assert {parent, lone_parent} <= replies

    view = await _ask(bot, "timeline")
    assert view.count("deleted while the bot was away") == 3
    assert "hunter2" not in view
    await _ask(bot, "draft", command="/postmortem")
    doc = await uploaded(bot, "postmortem-incident-1.md")
    assert doc.count("message deleted while the bot was away") == 3
    assert "db at 100% cpu" in doc and "hunter2" not in doc

    # A second restart finds nothing new: no revision, no second tombstone.
    await bot.stop()
    bot = await start_bot()
    await background_done(bot)
    assert sorted(r.text for r in await revisions(bot)) == old_texts
    assert [e.deleted_at for e in await entries(bot)] == [
        by_ts[e.ts].deleted_at for e in await entries(bot)
    ]


async def test_messages_said_after_the_reread_began_are_not_judged(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    # A message stored live while the backfill reads (newer than the read) is not in the pages
    # read; it must not be taken for deleted.
    bot = await start_bot()
    await declare_here(bot)
    await _backdate_incident(bot, 900)
    future = f"{time.time() + 30:.6f}"  # its ts is after the re-read begins
    await bot.slack.event({**said("said live, not yet in history", future), "channel": WAR_ROOM})
    await bot.stop()
    bot = await start_bot()
    await background_done(bot)
    (entry,) = await entries(bot)
    assert entry.deleted_at is None and entry.text == "said live, not yet in history"
