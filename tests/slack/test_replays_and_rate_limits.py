"""Replays run once, across replicas; per-person rate limits, counted across replicas
(issue 17: a replayed signed declare made 2 incidents; one user declared 1,000 in 2 s)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from sqlmodel import select

from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry
from tests.conftest import RunningBot, StartBot
from tests.support.databases import PG_HOST, PG_PORT
from tests.support.incident_steps import declare, key, run
from tests.support.signing import signed_headers
from tests.support.tcp_proxy import TcpProxy


async def incidents(bot: RunningBot) -> list[Incident]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(Incident))).all())


async def notes(bot: RunningBot) -> list[TimelineEntry]:
    async with bot.rt.db.session() as session:
        stmt = select(TimelineEntry).where(TimelineEntry.kind == "note")
        return list((await session.exec(stmt)).all())


async def same_minute() -> None:
    """Start a burst early in a minute, so the fixed one-minute window cannot roll over in it."""
    if time.time() % 60 > 45:
        await asyncio.sleep(60 - time.time() % 60 + 0.1)


async def test_a_replayed_declare_runs_once_on_any_replica(start_bot: StartBot) -> None:
    first = await start_bot()
    second = await start_bot()
    body = first.slack.command_body("declare sev1 Replayed once", response_key="original")
    headers = signed_headers(first.slack.secret, body, "application/x-www-form-urlencoded")
    for bot in (first, first, second):
        async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as r:
            assert r.status == 200
    # A later, different request is answered after the replays: they had their chance.
    await first.slack.command("roles", channel_id="C111", response_key="later")
    await first.fake.wait_for(
        lambda: {"later", "original"} <= {r["_key"] for r in first.fake.responses},
        what="both answers",
    )
    assert len(await incidents(first)) == 1
    assert len(first.fake.calls_to("conversations.create")) == 1
    assert [r["_key"] for r in first.fake.responses].count("original") == 1


async def test_a_replayed_note_is_stored_once(bot: RunningBot) -> None:
    channel = await declare(bot)
    body = bot.slack.command_body(
        "note checked the database", channel_id=channel, response_key="original"
    )
    headers = signed_headers(bot.slack.secret, body, "application/x-www-form-urlencoded")
    for _ in range(3):
        async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as r:
            assert r.status == 200
    await bot.slack.command("note a different one", channel_id=channel, response_key="later")
    await bot.fake.wait_for(
        lambda: {"later", "original"} <= {r["_key"] for r in bot.fake.responses},
        what="both answers",
    )
    assert sorted(n.text for n in await notes(bot)) == ["a different one", "checked the database"]
    assert [r["_key"] for r in bot.fake.responses].count("original") == 1


@pytest.mark.slow  # may wait up to 15 s for a fresh one-minute window
async def test_declares_per_person_are_limited_across_replicas(start_bot: StartBot) -> None:
    first = await start_bot(rate_limit_declares_per_minute=3)
    second = await start_bot(rate_limit_declares_per_minute=3)
    await same_minute()
    answers = []
    for n in range(5):
        bot = (first, second)[n % 2]
        response_key = key()
        await bot.slack.command(f"declare sev3 Burst {n}", response_key=response_key)
        answers.append(
            await bot.fake.wait_for(
                lambda k=response_key: next((r for r in first.fake.responses if r["_key"] == k), 0),
                what=f"declare {n}",
            )
        )
    refused = [a for a in answers if "more than 3 incidents declared a minute" in a["text"]]
    assert len(refused) == 2, [a["text"] for a in answers]
    assert "did not do it" in refused[0]["text"]
    assert len(await incidents(first)) == 3
    assert len(first.fake.calls_to("conversations.create")) == 3  # nothing half-done
    # Someone else is not limited by it.
    await first.slack.command("declare sev3 Other person", user_id="U222", response_key="u222")
    answer = await first.fake.wait_for(
        lambda: next((r for r in first.fake.responses if r["_key"] == "u222"), None),
        what="U222's declare",
    )
    assert "is declared" in answer["text"]


async def test_changes_per_person_are_limited(start_bot: StartBot) -> None:
    bot = await start_bot(rate_limit_changes_per_minute=4)
    channel = await declare(bot)
    await same_minute()
    texts = []
    for n in range(6):
        response_key = key()
        await bot.slack.command(f"note step {n}", channel_id=channel, response_key=response_key)
        answer = await bot.fake.wait_for(
            lambda k=response_key: next((r for r in bot.fake.responses if r["_key"] == k), None),
            what=f"note {n}",
        )
        texts.append(answer["text"])
    assert sum("more than 4 changes a minute" in t for t in texts) == 2, texts
    assert len(await notes(bot)) == 4
    # Reading is never limited.
    await bot.slack.command("roles", channel_id=channel, response_key="read")
    answer = await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == "read"), None), what="roles"
    )
    assert "Commander" in answer["text"]


async def test_a_change_made_by_arguments_counts_and_showing_does_not(
    start_bot: StartBot,
) -> None:
    """`/incident cadence` and `/incident checklist` show (reading: never limited); with
    arguments they change something, and count like any other change."""
    bot = await start_bot(rate_limit_changes_per_minute=2)
    channel = await declare(bot)
    await same_minute()
    texts = []
    for text in ("checklist add page the DBA", "cadence 30m", "cadence 45m"):
        texts.append((await run(bot, text, channel))["text"])
    assert ["more than 2 changes a minute" in t for t in texts] == [False, False, True], texts
    assert "every 30 min" in (await run(bot, "cadence", channel))["text"]  # not 45
    assert "page the DBA" in (await run(bot, "checklist", channel))["text"]


class HangingProxy(TcpProxy):
    """A proxy that can stop passing bytes either way: a database that hangs, not one that
    refuses (which answers at once)."""

    hanging = False

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await src.read(65536):
                if not self.hanging:
                    dst.write(data)
                    await dst.drain()
        with contextlib.suppress(Exception):
            dst.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_hanging_database_does_not_delay_the_ack(
    start_bot: StartBot, database_url: str
) -> None:
    """The replay check runs before Slack gets its ack, so it is bounded (Slack wants 3 s)."""
    proxy = HangingProxy(PG_HOST, PG_PORT)
    await proxy.start()
    try:
        url = database_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
        bot = await start_bot(database_url=url)
        channel = await declare(bot)
        proxy.hanging = True
        started = time.monotonic()
        resp = await bot.slack.command("roles", channel_id=channel, response_key="hung")
        assert resp.status == 200
        assert time.monotonic() - started < 2.5
    finally:
        proxy.hanging = False
        await proxy.cut()
