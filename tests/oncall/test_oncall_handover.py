"""Handovers end to end: a schedule of one-minute turns whose next handover is seconds away;
the incoming person's briefing (open incidents, private ones only counted, the last shift's
alerts and pages, what still waits, every title escaped) and the outgoing person's thank-you
(pages and night pages), counting only the schedule's own services (those whose `oncall:`
names it), are sent once with two replicas, and once when no replica ran at the handover time
(stopped before it, started after). Overrides changed after planning are
asked again at send time; a handover far too late is skipped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.oncall.handover import HandoverSender
from bot.oncall.handover_plan import LATE_LIMIT, at_send, handovers, plan
from bot.oncall.handover_text import briefing
from bot.oncall.rules import Layer, Override, Rules, timeline
from storage.models.alerts import Alert, AlertGroup, PageEvent
from storage.models.incidents import Incident
from storage.models.oncall import OncallOverride
from storage.models.oncall_handover import OncallHandover
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare

TURN = timedelta(minutes=1)  # the file's shortest turn
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RULES = Rules("p", ZoneInfo("UTC"), (Layer("a", ("U1", "U2"), T0.replace(tzinfo=None), TURN),))


def config(handover: datetime) -> str:
    """`payments`: U222 on call until `handover`, then U333, in one-minute turns; the
    service `payments` is its, `search` is another schedule's."""
    start = (handover - TURN).strftime("%Y-%m-%dT%H:%M:%S")
    return f"""\
oncall:
  people:
    U222: {{time_zone: Europe/Berlin, working_hours: "00:00-24:00"}}
  schedules:
    - name: payments
      time_zone: UTC
      layers:
        - name: primary
          members: [U222, U333]
          every: 1m
          start: "{start}"
    - name: search
      time_zone: UTC
      layers:
        - name: primary
          members: [U444]
          rotation: weekly
          start: "2026-01-05T00:00"
services:
  - name: payments
    oncall: payments
  - name: search
    oncall: search
"""


def soon(seconds: int) -> datetime:
    return (utcnow() + timedelta(seconds=seconds)).replace(microsecond=0)


async def start(start_bot: StartBot, path: Path) -> RunningBot:
    bot = await start_bot(config_file=str(path))
    bot.fake.add_user("U222", tz="Europe/Berlin")
    bot.fake.add_user("U333", tz="America/New_York")
    return bot


def sender(bot: RunningBot) -> HandoverSender:
    found = HandoverSender.of(bot.rt)
    assert found is not None
    return found


def dms(bot: RunningBot, user: str, words: str) -> list[str]:
    return [
        c["text"]
        for c in bot.fake.calls_to("chat.postMessage")
        if c["channel"] == user and words in c.get("text", "")
    ]


def briefings(bot: RunningBot) -> list[str]:
    return dms(bot, "U333", "You are on call for *payments*")


def thanks(bot: RunningBot) -> list[str]:
    return dms(bot, "U222", "Thank you for your shift on *payments*")


async def rows(bot: RunningBot) -> list[OncallHandover]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(OncallHandover))).all())


async def wait_briefing(bot: RunningBot, seconds: float) -> list[str]:
    found: list[str] = await bot.fake.wait_for(
        lambda: briefings(bot), timeout=seconds, what="the handover briefing"
    )
    await bot.fake.wait_for(lambda: thanks(bot), timeout=5, what="the thank-you")
    return found


async def page(
    bot: RunningBot, incident_id: int, when: datetime, service: str = "payments", **extra: Any
) -> None:
    async with bot.rt.db.session() as session:
        session.add(
            PageEvent(
                incident_id=incident_id,
                service=service,
                event_action="trigger",
                dedup_key=f"k{when.timestamp()}",
                summary="s",
                severity="critical",
                created_at=when,
                **extra,
            )
        )


async def test_the_handover_dms_go_once_with_two_replicas(
    start_bot: StartBot, tmp_path: Path
) -> None:
    handover = soon(20)
    path = tmp_path / "sisyphus.yml"
    path.write_text(config(handover))
    one, two = await start(start_bot, path), await start(start_bot, path)
    await declare(one, title="Checkout <b>&</b> 500s")
    await declare(one, title="Secret payroll leak")
    async with one.rt.db.session() as session:
        secret = await session.get(Incident, 2)
        assert secret is not None
        secret.private = True
        session.add(secret)
    await page(one, 1, utcnow())
    await page(one, 1, utcnow(), service="Payments")  # as the alert or command spelled it
    await page(one, 1, utcnow(), service="search")  # another schedule's: not counted
    async with one.rt.db.session() as session:  # its card is up to date: nothing to post
        group = AlertGroup(
            source="alertmanager", key_hash="k", group_key="k", title="t", severity="sev3"
        )
        session.add(group)
        await session.flush()
        assert group.id is not None
        for n, labels in enumerate(('{"service": "payments"}', '{"service": "search"}', "{}")):
            session.add(
                Alert(
                    group_id=group.id,
                    fingerprint=f"f{n}",
                    status="firing",
                    name="HighErrorRate",
                    labels=labels,
                    starts_at=utcnow(),
                )
            )
    assert briefings(one) == []

    [text] = await wait_briefing(one, 30)
    assert "EST" in text.split("\n")[0]  # the shift's end in the reader's zone
    assert "taking over from <@U222>" in text
    assert "Checkout &lt;b&gt;&amp;&lt;/b&gt; 500s" in text and "<b>" not in text
    assert "Secret payroll" not in text and "1 private incident" in text
    assert "*The last shift:* 1 alert, 2 pages." in text  # search's page and alert left out
    assert "1 alert group firing with no incident" in text
    assert "after the handover" not in text  # on time
    [thank] = thanks(one)
    assert "2 pages" in thank and "outside your working hours" not in thank  # works all day
    assert "<@U333> has it now" in thank

    for _ in range(2):
        await asyncio.gather(sender(one).run_now(), sender(two).run_now())
    assert len(briefings(one)) == 1 and len(thanks(one)) == 1
    [done] = [r for r in await rows(one) if r.at == handover]
    assert done.state == "sent" and done.sent_at is not None and done.attempts == 1


async def test_a_handover_while_no_replica_ran_is_sent_once_after_the_restart(
    start_bot: StartBot, tmp_path: Path
) -> None:
    handover = soon(15)
    path = tmp_path / "sisyphus.yml"
    path.write_text(config(handover))
    one = await start(start_bot, path)
    await sender(one).run_now()
    assert next(r.at for r in await rows(one) if r.state == "pending") == handover
    await one.stop()
    await asyncio.sleep((handover + timedelta(seconds=1) - utcnow()).total_seconds())
    assert briefings(one) == []

    two = await start(start_bot, path)
    [text] = await wait_briefing(two, 10)
    assert "taking over from <@U222>" in text
    await two.stop()
    three = await start(start_bot, path)
    await sender(three).run_now()
    assert len(briefings(three)) == 1 and len(thanks(three)) == 1


async def test_an_override_made_after_planning_cancels_the_handover(
    start_bot: StartBot, tmp_path: Path
) -> None:
    handover = soon(15)
    path = tmp_path / "sisyphus.yml"
    path.write_text(config(handover))
    bot = await start(start_bot, path)
    await sender(bot).run_now()
    assert any(r.at == handover for r in await rows(bot))
    async with bot.rt.db.session() as session:  # U222 keeps the turn for 10 minutes more
        session.add(
            OncallOverride(
                schedule="payments",
                user_id="U222",
                start_at=handover - TURN,
                end_at=handover + timedelta(minutes=10),
                created_by="U222",
            )
        )
    await asyncio.sleep((handover + timedelta(seconds=1) - utcnow()).total_seconds())
    await sender(bot).run_now()
    [row] = [r for r in await rows(bot) if r.at == handover]
    assert row.state == "skipped" and row.note == "the person no longer changes then"
    assert briefings(bot) == [] and thanks(bot) == []
    assert any(r.at == handover + timedelta(minutes=10) for r in await rows(bot)), "re-planned"


async def test_a_handover_far_too_late_is_skipped(start_bot: StartBot, tmp_path: Path) -> None:
    path = tmp_path / "sisyphus.yml"
    path.write_text(config(soon(3600)))
    bot = await start(start_bot, path)
    long_ago = utcnow() - LATE_LIMIT - timedelta(minutes=5)
    async with bot.rt.db.session() as session:
        session.add(OncallHandover(schedule="payments", at=long_ago, incoming="U333"))
    await sender(bot).run_now()
    [row] = [r for r in await rows(bot) if r.at == long_ago]
    assert row.state == "skipped" and briefings(bot) == []


def test_handovers_are_changes_of_person_and_overrides_are_asked_again_at_send() -> None:
    shifts = timeline(RULES, [], T0, T0 + 3 * TURN)
    assert [(h.at, h.incoming, h.outgoing) for h in handovers(shifts)] == [
        (T0 + TURN, "U2", "U1"),
        (T0 + 2 * TURN, "U1", "U2"),
    ]
    # From PLAN_BEHIND ago: the layer's start (a gap before it) came 30 s ago.
    assert [h.at for h in plan(RULES, [], T0 + timedelta(seconds=30), TURN * 2)] == [
        T0,
        T0 + TURN,
        T0 + 2 * TURN,
    ]
    # U1 keeps the second turn too: no handover at T0 + TURN any more, one at its end.
    keep = [Override("U1", T0 + TURN, T0 + 2 * TURN, 1)]
    assert at_send(RULES, keep, T0 + TURN, TURN * 3) is None
    # U3 comes instead of U2: the DMs go to whoever comes now.
    other = [Override("U3", T0 + TURN, T0 + 2 * TURN, 1)]
    due = at_send(RULES, other, T0 + TURN, TURN * 3)
    assert due is not None and (due.incoming, due.outgoing) == ("U3", "U1")
    assert due.shift_end == T0 + 2 * TURN and due.outgoing_start == T0


def test_a_late_briefing_says_so_and_names_no_private_incident() -> None:
    secret = Incident(id=7, title="Payroll <leak>", severity="sev1", private=True)
    text = briefing(
        "pay<ments>", None, T0, ZoneInfo("UTC"), [secret], None, (0, 2), timedelta(hours=2)
    )
    assert "*pay&lt;ments&gt;*" in text and "(after a gap: nobody was on call)" in text
    assert "_This comes 2 h after the handover" in text
    assert "Payroll" not in text and "1 private incident" in text
    assert "*Still waiting:* 2 pages not yet delivered." in text
