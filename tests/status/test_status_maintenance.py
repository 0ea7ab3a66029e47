"""Scheduled maintenance over real HTTP: `/incident maintenance` stores it (shown as scheduled
on /status and in scheduled-maintenances.json with Statuspage's fields), and with two
replicas on one database it starts (components under maintenance) and completes (back to
operational) by itself, each step exactly once; bad input is answered with the reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from storage.models.status_maintenance import StatusMaintenance
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.status.helpers import get, get_json, start_with_page
from tests.support.incident_steps import run
from tests.support.timeline_helpers import wait_until


def _z(seconds: float) -> str:
    return (utcnow() + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _rows(bot: RunningBot) -> list[StatusMaintenance]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(StatusMaintenance))).all())


async def test_maintenance_starts_and_completes_by_itself_once_with_two_replicas(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    second = await start_with_page(start_bot, tmp_path)
    starts, ends = _z(10), _z(16)  # room for a loaded machine before it starts
    answer = await run(
        bot, f"maintenance api,Dashboard {starts} {ends} DB <upgrade> & reboot", "C1"
    )
    assert "Scheduled maintenance of API, Dashboard" in answer["text"]
    assert "&lt;upgrade&gt; &amp; reboot" in answer["text"]

    [m] = (await get_json(bot, "scheduled-maintenances.json"))["scheduled_maintenances"]
    assert m["status"] == "scheduled" and m["impact"] == "maintenance"
    assert m["name"] == "DB <upgrade> & reboot"
    assert m["scheduled_for"] == starts and m["scheduled_until"] == ends
    assert [c["name"] for c in m["components"]] == ["API", "Dashboard"]
    upcoming = await get_json(bot, "scheduled-maintenances/upcoming.json")
    assert [x["id"] for x in upcoming["scheduled_maintenances"]] == [m["id"]]
    summary = await get_json(bot, "summary.json")
    assert [x["id"] for x in summary["scheduled_maintenances"]] == [m["id"]]
    assert summary["status"]["indicator"] == "none"
    html = (await get(bot, "/status"))[2]
    assert "Scheduled maintenance" in html and "DB &lt;upgrade&gt; &amp; reboot" in html

    async def started() -> bool:
        doc = await get_json(second, "summary.json")
        return doc["status"]["indicator"] == "maintenance"

    await wait_until(started, 30, "the maintenance started")
    states = [c["status"] for c in (await get_json(second, "components.json"))["components"]]
    assert states == ["under_maintenance", "under_maintenance"]
    [active] = (await get_json(bot, "scheduled-maintenances/active.json"))["scheduled_maintenances"]
    assert active["status"] == "in_progress"
    assert "Under maintenance" in (await get(bot, "/status"))[2]

    async def completed() -> bool:
        rows = await _rows(bot)
        return rows[0].status == "completed"

    await wait_until(completed, 30, "the maintenance completed")
    [row] = await _rows(bot)
    assert row.started_at and row.completed_at
    assert row.started_by in (bot.rt.instance, second.rt.instance)
    assert row.completed_by in (bot.rt.instance, second.rt.instance)

    async def back() -> bool:
        doc = await get_json(bot, "summary.json")
        return doc["status"]["indicator"] == "none" and doc["scheduled_maintenances"] == []

    await wait_until(back, 10, "the page back to operational")
    assert {c["status"] for c in (await get_json(second, "components.json"))["components"]} == {
        "operational"
    }
    [done] = (await get_json(bot, "scheduled-maintenances.json"))["scheduled_maintenances"]
    assert done["status"] == "completed"
    assert [u["status"] for u in done["incident_updates"]] == [
        "completed",
        "in_progress",
        "scheduled",
    ]


async def test_bad_maintenance_is_answered_with_the_reason(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    cases = {
        "": "Which components, from when until when",
        f"Billing {_z(60)} {_z(120)} upgrade": "No status-page component `Billing`",
        f"API {_z(-60)} {_z(120)} upgrade": "is not in the future",
        f"API {_z(120)} {_z(60)} upgrade": "before it starts",
        f"API {_z(60)} {_z(120)}": "What is done in this maintenance?",
        "API soon later upgrade": "is not a time I can read",
    }
    for args, reason in cases.items():
        answer = await run(bot, f"maintenance {args}".strip(), "C1")
        assert reason in answer["text"], (args, answer["text"])
    assert await _rows(bot) == []
    assert (await get_json(bot, "scheduled-maintenances.json"))["scheduled_maintenances"] == []


async def test_maintenance_without_a_page_is_refused(bot: RunningBot) -> None:
    answer = await run(bot, f"maintenance API {_z(60)} {_z(120)} upgrade", "C1")
    assert "The status page is off" in answer["text"]


async def test_maintenance_is_listed_and_cancelled_once_with_two_replicas(
    start_bot: StartBot, tmp_path: Path
) -> None:
    import asyncio

    shared = "C0SHARED1"
    bot = await start_with_page(start_bot, tmp_path, status_page_channel=shared)
    second = await start_with_page(start_bot, tmp_path, status_page_channel=shared)
    bot.fake.add_channel(shared, "customers", bot_member=True)
    later = await run(bot, f"maintenance API {_z(3600)} {_z(7200)} Reindex <search>", "C1")
    assert "number 1: `/incident maintenance cancel 1`" in later["text"]
    await run(bot, f"maintenance Dashboard {_z(3)} {_z(3600)} Dashboard upgrade", "C1")
    listed = (await run(bot, "maintenance list", "C1"))["text"]
    assert "1. Reindex &lt;search&gt; (API), scheduled" in listed
    assert "2. Dashboard upgrade (Dashboard)" in listed

    # The scheduled one withdrawn, from both replicas at once: done once, gone from the page.
    answers = await asyncio.gather(
        run(bot, "maintenance cancel 1", "C1"), run(second, "maintenance cancel #1", "C1")
    )
    texts = [a["text"] for a in answers]
    assert sum("is withdrawn" in t for t in texts) == 1, texts
    assert sum("No maintenance number 1 is scheduled" in t for t in texts) == 1, texts
    assert [r.id for r in await _rows(bot)] == [2]
    shown = (await get_json(second, "scheduled-maintenances.json"))["scheduled_maintenances"]
    assert [m["name"] for m in shown] == ["Dashboard upgrade"]
    assert "Reindex" not in (await get(second, "/status"))[2]
    announced = [c["text"] for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == shared]
    assert announced.count("*Maintenance withdrawn*: Reindex &lt;search&gt;") == 1

    # The one in progress ended early: completed now, its component back to operational.
    async def started() -> bool:
        return (await _rows(bot))[0].status == "in_progress"

    await wait_until(started, 30, "the dashboard maintenance started")
    ended = await run(second, "maintenance cancel 2", "C1")
    assert "is ended early" in ended["text"]
    [row] = await _rows(bot)
    assert row.status == "completed" and row.scheduled_until <= utcnow()
    components = (await get_json(second, "components.json"))["components"]
    assert {c["status"] for c in components} == {"operational"}

    async def back_on_the_other() -> bool:  # it reads the database again within seconds
        doc = await get_json(bot, "components.json")
        return {c["status"] for c in doc["components"]} == {"operational"}

    await wait_until(back_on_the_other, 15, "the other replica's page back to operational")
    assert (await run(bot, "maintenance list", "C1"))["text"].startswith("No maintenance")
    for args in ("cancel 2", "cancel 99", "cancel 99999999999"):
        answer = await run(bot, f"maintenance {args}", "C1")
        assert "No maintenance number" in answer["text"], answer["text"]
