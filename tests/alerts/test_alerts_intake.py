"""Alertmanager webhooks in, over real HTTP: one card and at most one incident per group."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.alerts.intake import parse_alertmanager
from bot.alerts.transactions import IntakeWriter, _lock, alert_session
from storage import StorageUnavailable
from storage.models.alerts import AlertGroup
from storage.models.timeline import TimelineEntry
from tests.conftest import BROADCAST, RunningBot, StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    ALERT_TOKEN,
    alerts,
    cards_in,
    element,
    firing,
    groups,
    has_element,
    incidents,
    post_alert,
    resolved,
    second_group,
    wait_handled,
    with_severity,
)
from tests.support.block_limits import check_message_blocks
from tests.support.incident_steps import click, entries, posts_in


async def start(start_bot: StartBot, **overrides) -> RunningBot:
    bot = await start_bot(**{**ALERT_SETTINGS, **overrides})
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    return bot


async def test_a_critical_alert_declares_once_with_nobody_in_command(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    other = await start(start_bot)  # a second replica on the same database
    payload = firing()
    answers = await asyncio.gather(
        *(post_alert(b, payload) for b in (bot, other, bot, other, bot, other))
    )
    assert [status for status, _ in answers] == [200] * 6
    await bot.fake.wait_for(lambda: cards_in(bot, _war_room(bot)), what="the alert card")
    await wait_handled(bot)
    [group] = await groups(bot)
    [incident] = await incidents(bot)
    assert incident.title == "checkout 5xx > 5% for 5m"  # the summary annotation
    assert incident.severity == "sev1"  # critical=sev1
    assert incident.commander_id == "" and incident.declared_by == "UBOT"
    assert group.incident_id == incident.id and group.deliveries == 6
    assert len(bot.fake.calls_to("conversations.create")) == 1

    card = next(p for p in posts_in(bot, incident.channel_id or "") if "Incident #1" in p["text"])
    assert has_element(card, "take_incident_command")
    assert "nobody yet" in json.dumps(card["blocks"])
    assert any(p["channel"] == BROADCAST for p in bot.fake.calls_to("chat.postMessage"))
    [alert_card] = cards_in(bot, incident.channel_id or "")
    check_message_blocks(alert_card["blocks"])
    text = json.dumps(alert_card["blocks"])
    assert "service=checkout" in text and "runbooks.example.com/checkout-5xx" in text
    assert "prometheus:9090/graph" in text  # generatorURL
    assert not has_element(alert_card, "alert_declare_incident")

    [entry] = await entries(bot, "alert")
    assert entry.occurred_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)  # startsAt, not now
    assert "HighErrorRate" in entry.text and "firing" in entry.text

    # Alertmanager's repeat_interval: the same group again is the same incident.
    assert (await post_alert(other, payload))[0] == 200
    await wait_handled(bot)
    assert len(await incidents(bot)) == 1 and len(await entries(bot, "alert")) == 1


async def test_take_command_makes_the_presser_commander_once(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    await post_alert(bot, firing())
    channel = await _wait_war_room(bot)
    card = next(p for p in posts_in(bot, channel) if "Incident #1" in p["text"])
    await bot.slack.interaction(click(bot, card, "take_incident_command", "U222", channel))
    await bot.fake.wait_for(lambda: _said(bot, channel, "<@U222> took command"), what="taken")
    await bot.slack.interaction(click(bot, card, "take_incident_command", "U333", channel))
    refusal = await bot.fake.wait_for(
        lambda: next(
            (e for e in bot.fake.calls_to("chat.postEphemeral") if e["user"] == "U333"), None
        ),
        what="the refusal",
    )
    assert "<@U222> already commands" in refusal["text"]
    [incident] = await incidents(bot)
    assert incident.commander_id == "U222"
    assert "U222" in bot.fake.channels[channel].members
    updated = bot.fake.calls_to("chat.update")[-1]
    assert not has_element(updated, "take_incident_command") and "<@U222>" in json.dumps(
        updated["blocks"]
    )


async def test_a_warning_posts_one_triage_card_updated_by_later_sends(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    payload = with_severity(firing(), "warning")
    payload["commonAnnotations"]["description"] = "5xx ratio <b>above</b> 5% & rising"
    assert (await post_alert(bot, payload))[0] == 200
    [card] = await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), what="triage card")
    check_message_blocks(card["blocks"])
    text = json.dumps(card["blocks"])
    assert "&lt;b&gt;above&lt;/b&gt; 5% &amp; rising" in text  # escaped description
    assert "severity=warning" in text and "Runbook" in text
    assert element(card, "alert_declare_incident")["text"]["text"] == "Declare incident"
    assert await incidents(bot) == []

    # A second alert joins the group: the same card is updated, no new card.
    payload["alerts"].append(
        {
            **payload["alerts"][0],
            "fingerprint": "0a0b0c0d",
            "labels": {"alertname": "HighErrorRate", "instance": "checkout-2"},
        }
    )
    assert (await post_alert(bot, payload))[0] == 200
    await bot.fake.wait_for(lambda: bot.fake.calls_to("chat.update"), what="card update")
    assert len(cards_in(bot, ALERT_CHANNEL)) == 1
    assert "2 firing" in json.dumps(bot.fake.calls_to("chat.update")[-1]["blocks"])
    assert len(await alerts(bot)) == 2

    # Another group: another card.
    assert (await post_alert(bot, second_group(with_severity(firing(), "warning"))))[0] == 200
    await bot.fake.wait_for(lambda: len(cards_in(bot, ALERT_CHANNEL)) == 2, what="second card")


async def test_declare_and_add_to_incident_from_the_triage_card(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    await post_alert(bot, with_severity(firing(), "warning"))
    [card] = await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), what="triage card")
    await bot.slack.interaction(click(bot, card, "alert_declare_incident", "U111", ALERT_CHANNEL))
    await bot.fake.wait_for(lambda: bot.fake.calls_to("conversations.create"), what="war room")
    await _wait_until(lambda: _linked_groups(bot), 1)
    await wait_handled(bot)  # the war room is open and the card updated
    [incident] = await incidents(bot)
    assert incident.commander_id == "U111" and incident.severity == "sev3"
    # Pressed again (or by someone else): no second incident.
    await bot.slack.interaction(click(bot, card, "alert_declare_incident", "U222", ALERT_CHANNEL))
    refusal = await bot.fake.wait_for(
        lambda: next(
            (e for e in bot.fake.calls_to("chat.postEphemeral") if e["user"] == "U222"), None
        ),
        what="refusal",
    )
    assert "already incident #1" in refusal["text"]
    assert len(await incidents(bot)) == 1
    # The card now points at the incident, and the alert is on its timeline.
    await bot.fake.wait_for(
        lambda: any(
            "Incident #1" in json.dumps(u["blocks"]) for u in bot.fake.calls_to("chat.update")
        ),
        what="card pointing at the incident",
    )
    await wait_handled(bot)
    assert len(await entries(bot, "alert")) == 1

    # A second group, added to incident #1 through the select.
    await post_alert(bot, second_group(with_severity(firing(), "warning")))
    second = (
        await bot.fake.wait_for(
            lambda: len(cards_in(bot, ALERT_CHANNEL)) == 2 and cards_in(bot, ALERT_CHANNEL),
            what="card 2",
        )
    )[1]
    select_menu = element(second, "alert_add_to_incident")
    assert [o["value"] for o in select_menu["options"]] == ["2:1"]
    await bot.slack.interaction(_select(bot, second, "2:1", "U111"))
    await _wait_until(lambda: _linked_groups(bot), 2)
    await bot.fake.wait_for(
        lambda: _said(bot, incident.channel_id or "", "added the alert"), what="said in war room"
    )
    await _wait_until(lambda: _count_entries(bot, "alert"), 2)
    assert len(await incidents(bot)) == 1


async def test_all_alerts_resolved_offers_resolve_and_never_resolves_itself(
    start_bot: StartBot,
) -> None:
    bot = await start(start_bot)
    await post_alert(bot, firing())
    channel = await _wait_war_room(bot)
    assert (await post_alert(bot, resolved()))[0] == 200
    notice = await bot.fake.wait_for(
        lambda: _said(bot, channel, "All alerts resolved at 10:25 UTC"), what="resolved notice"
    )
    assert element(notice, "alert_resolve_incident")["text"]["text"] == "Resolve"
    [incident] = await incidents(bot)
    assert incident.status == "investigating"  # quiet alerts are not verification
    await wait_handled(bot)
    kinds = [(e.text.split(":")[0], e.occurred_at) for e in await entries(bot, "alert")]
    assert kinds == [
        ("Alertmanager alert firing", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        ("Alertmanager alert resolved", datetime(2026, 1, 15, 10, 25, tzinfo=UTC)),
    ]
    # Sent again (replicas, retries): said once.
    await post_alert(bot, resolved())
    await wait_handled(bot)
    assert len([p for p in posts_in(bot, channel) if "All alerts resolved" in p["text"]]) == 1

    await bot.slack.interaction(click(bot, notice, "alert_resolve_incident", "U111", channel))
    await bot.fake.wait_for(lambda: _said(bot, channel, "All clear"), what="all clear")
    [incident] = await incidents(bot)
    assert incident.status == "resolved"


async def test_refused_requests_store_nothing_and_call_no_one(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    good = json.dumps(firing())
    cases = [
        (await post_alert(bot, good, token=None), 401),
        (await post_alert(bot, good, token=ALERT_TOKEN + "x"), 401),
        (
            await post_alert(
                bot, good, token=None, headers={"Authorization": "Basic " + ALERT_TOKEN}
            ),
            401,
        ),
        (await post_alert(bot, "{not json"), 400),
        (await post_alert(bot, "[1, 2]"), 400),
        (await post_alert(bot, firing(version="3")), 400),
        (await post_alert(bot, firing(groupKey="")), 400),
        (await post_alert(bot, firing(alerts=[])), 400),
        (await post_alert(bot, firing(alerts=[{"status": "firing", "labels": {}}])), 400),
        (
            await post_alert(bot, firing(alerts=[{"status": "firing", "startsAt": "yesterday"}])),
            400,
        ),
        (await post_alert(bot, b"{" + b" " * (1024 * 1024) + b"}"), 413),
    ]
    for (status, reason), expected in cases:
        assert status == expected, reason
        assert reason.count("\n") == 1 and reason.strip()
    assert "version" in cases[5][0][1] and "groupKey" in cases[6][0][1]
    assert "alerts[0].startsAt" in cases[8][0][1]
    assert await groups(bot) == []
    assert [c for c in bot.fake.methods() if c != "auth.test"] == []


async def test_without_a_token_the_endpoints_are_not_there(bot: RunningBot) -> None:
    assert (await post_alert(bot, firing()))[0] == 404
    assert (await post_alert(bot, b"{}", token=None, path="/alerts/pagerduty"))[0] == 404
    assert await groups(bot) == []


async def test_a_slack_failure_never_loses_the_alert(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    # An error slack_sdk does not retry itself: the worker retries the card, with backoff.
    bot.fake.fail("chat.postMessage", error="fatal_error", times=2, channel=ALERT_CHANNEL)
    status, _ = await post_alert(bot, with_severity(firing(), "warning"))
    assert status == 200  # stored: Alertmanager need not send it again
    await wait_handled(bot, timeout=20)  # posted at the third try, 1 s and 2 s later
    [group] = await groups(bot)
    assert group.card_ts and group.attempts == 0
    attempts = [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == ALERT_CHANNEL]
    # The bot is not in the alert channel yet: not_in_channel, it joins; then two refused
    # (fatal_error), and one posted: one card.
    assert len(attempts) == 4
    assert len(cards_in(bot, ALERT_CHANNEL)) == 1


# ---- helpers -----------------------------------------------------------------------------------


def _war_room(bot: RunningBot) -> str:
    created = bot.fake.calls_to("conversations.create")
    if not created:
        return "-"
    return next((c.id for c in bot.fake.channels.values() if c.name == created[0]["name"]), "-")


async def _wait_war_room(bot: RunningBot) -> str:
    await bot.fake.wait_for(lambda: cards_in(bot, _war_room(bot)), what="the war room's alert card")
    return _war_room(bot)


def _said(bot: RunningBot, channel: str, text: str) -> dict | None:
    return next(
        (
            p
            for p in posts_in(bot, channel)
            if text in p.get("text", "") or text in json.dumps(p.get("blocks"))
        ),
        None,
    )


async def _linked_groups(bot: RunningBot) -> int:
    return len([g for g in await groups(bot) if g.incident_id is not None])


def _select(bot: RunningBot, card: dict, value: str, user: str) -> dict:
    """A block_actions payload choosing `value` in the card's "Add to incident" select."""
    payload = click(bot, card, "alert_declare_incident", user, ALERT_CHANNEL)
    menu = element(card, "alert_add_to_incident")
    option = next(o for o in menu["options"] if o["value"] == value)
    payload["actions"][0] = {
        "type": "static_select",
        "action_id": "alert_add_to_incident",
        "block_id": "alert_triage",
        "selected_option": option,
        "action_ts": "1.2",
    }
    return payload


async def _count_entries(bot: RunningBot, kind: str) -> int:
    async with bot.rt.db.session() as session:
        stmt = select(TimelineEntry).where(col(TimelineEntry.kind) == kind)
        return len((await session.exec(stmt)).all())


async def _wait_until(measure, target: int, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await measure()) < target:
        assert asyncio.get_running_loop().time() < deadline, f"{value} < {target}"
        await asyncio.sleep(0.05)


async def test_work_left_by_a_stopped_bot_is_done_by_the_next(start_bot: StartBot) -> None:
    first = await start_bot(**ALERT_SETTINGS)  # no alerts channel in Slack yet: the card fails
    assert (await post_alert(first, with_severity(firing(), "warning")))[0] == 200
    await first.fake.wait_for(
        lambda: first.fake.calls_to("chat.postMessage"), what="the failed card post"
    )
    await first.stop()
    [owed] = await groups(first)
    assert owed.version > owed.handled_version and owed.card_ts is None

    first.fake.add_channel(ALERT_CHANNEL, "alerts")
    second = await start_bot(**ALERT_SETTINGS)
    await wait_handled(second, timeout=20)
    [group] = await groups(second)
    assert group.card_ts and group.card_channel_id == ALERT_CHANNEL
    assert len(cards_in(second, ALERT_CHANNEL)) == 1  # the refused post is no card; this is


# ---- sends the database refuses, alone or all at once (bot/alerts/transactions.py) -----------

REFUSE = {  # a send the database refuses (a constraint of its own): groupKey "poison…"
    "sqlite": [
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON alert_group"
        " WHEN NEW.group_key LIKE 'poison%' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.group_key LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned'; END IF;"
        " IF NEW.group_key LIKE '%down%' THEN RAISE EXCEPTION 'gone' USING ERRCODE = '08006';"
        " END IF; RETURN NEW; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON alert_group FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}
OUTAGE = {  # from here on the database cannot take a new group: SQLite cannot even prepare it
    "sqlite": [
        "CREATE TRIGGER outage BEFORE INSERT ON alert_group"
        " WHEN NEW.group_key LIKE '%down%' BEGIN DELETE FROM no_such_table; END"
    ],
    "postgresql": [],
}


async def test_a_send_the_database_refuses_fails_alone_and_an_outage_answers_503(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start(start_bot)
    dialect = "sqlite" if bot.rt.db.is_sqlite else "postgresql"
    await _sql(bot, REFUSE[dialect])
    # The route's writer, as a storm fills it: sends that arrive together, stored together.
    writer = IntakeWriter(bot.rt)
    sends = [firing(), firing(groupKey="poison"), second_group(firing())]
    caplog.set_level(logging.WARNING, logger="bot.alerts.transactions")
    stored = await _store_all(bot, writer, sends)
    assert "poisoned" in str(stored[1]) and not isinstance(stored[1], StorageUnavailable)
    # Each stored once, under the id its send was answered with (the ids' order is the
    # database's: on PostgreSQL the retried sends may take them in another order).
    assert sorted((g.id, g.group_key, g.deliveries) for g in await groups(bot)) == sorted(
        [(stored[0], sends[0]["groupKey"], 1), (stored[2], sends[2]["groupKey"], 1)]
    )
    if bot.rt.db.is_sqlite:  # in one transaction first, then each in its own
        assert caplog.messages == [
            "a batch of 3 alerts failed (IntegrityError); storing them one by one"
        ]
    assert await post_alert(bot, firing(groupKey="poison2")) == (
        500,
        "could not store the alert; please retry\n",
    )

    await _sql(bot, OUTAGE[dialect])
    caplog.clear()
    down = [second_group(firing(), name=f"down{i}") for i in range(3)]
    assert [type(e) for e in await _store_all(bot, writer, down)] == [StorageUnavailable] * 3
    assert [m for m in caplog.messages if "one by one" in m] == []  # no retry of each
    answer = await post_alert(bot, second_group(firing(), name="down"))
    assert answer == (503, "storage unavailable; please retry\n")
    assert len(await groups(bot)) == 2


async def _sql(bot: RunningBot, statements: list[str]) -> None:
    async with bot.rt.db.connection() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def _store_all(bot: RunningBot, writer: IntakeWriter, sends: list[dict]) -> list:
    parsed = [parse_alertmanager(body, bot.rt.settings) for body in sends]
    stores = asyncio.gather(*(writer.store(p) for p in parsed), return_exceptions=True)
    return await asyncio.wait_for(stores, timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_on_sqlite_a_webhook_writes_alone_and_before_the_worker(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    seen: list[int] = []

    async def worker_transaction() -> None:
        async with alert_session(bot.rt) as session:
            seen.append(len((await session.exec(select(AlertGroup))).all()))

    async with alert_session(bot.rt):  # the worker writing
        queued = asyncio.ensure_future(worker_transaction())  # and another of its transactions
        await asyncio.sleep(0.05)
        answer = asyncio.ensure_future(post_alert(bot, firing()))
        for _ in range(200):  # until the webhook waits for the lock (transactions._lock)
            if _lock(bot.rt)._urgent == 1:
                break
            await asyncio.sleep(0.05)
        assert not answer.done() and await groups(bot) == []
    assert (await answer)[0] == 200
    await queued
    assert seen == [1]  # the webhook went first


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sends_waiting_when_the_writer_stops_are_refused(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    writer = IntakeWriter(bot.rt)
    read = [parse_alertmanager(second_group(firing(), name=n), bot.rt.settings) for n in "ABC"]
    async with alert_session(bot.rt):  # the writer waits for this transaction
        first = asyncio.ensure_future(writer.store(read[0]))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(writer.store(read[1]))
        await asyncio.sleep(0.05)
        for task in bot.rt.tasks:  # what stop() does to background work
            if task.get_name() == "alert-intake-writer":
                task.cancel()
        with pytest.raises(StorageUnavailable, match=r"^the bot is stopping$"):
            await asyncio.wait_for(waiting, timeout=5)
        first.cancel()
    assert await asyncio.wait_for(writer.store(read[2]), timeout=5) > 0  # a new writer
    assert [g.title for g in await groups(bot)] == ["C on checkout"]  # B is not stored later
