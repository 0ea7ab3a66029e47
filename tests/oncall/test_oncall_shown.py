"""What `/oncall` shows, over real HTTP, line by line against times worked out here: a layer
restricted to office hours is on call from the window's opening minute to its closing one and
nobody in between (a gap, counted); who is on call now, until when and who comes next; "until
at least" when nothing changes within the look-ahead; an override in the database, until its
end and then the rotation again. The reader is in Berlin, so are the schedules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from storage.models.oncall import OncallOverride
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.oncall_helpers import BERLIN, said

CONFIG = """\
oncall:
  schedules:
    - name: office
      time_zone: Europe/Berlin
      layers:
        - name: desk
          members: [U222]
          rotation: weekly
          start: "2026-01-05T00:00"
          restrictions: ["09:00-18:00"]
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222, U333]
          rotation: daily
          start: "2026-01-01T09:00"
    - name: solo
      time_zone: UTC
      layers:
        - name: all
          members: [U444]
          rotation: weekly
          start: "2026-01-05T00:00"
"""
ZERO = datetime(2026, 1, 1, 9)  # payments' first handover, Berlin wall clock


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    running = await start_bot(config_file=str(path))
    for user in ("U111", "U222", "U333", "U444", "U555"):
        running.fake.add_user(user, tz="Europe/Berlin")
    return running


def when(moment: datetime) -> str:
    """As `/oncall` writes a time for a reader in Berlin: `Tue 2026-12-08 09:00 CET`."""
    local = moment.astimezone(BERLIN)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


def berlin_at(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.astimezone(BERLIN).date(), time(hour), BERLIN).astimezone(UTC)


def office_cuts(start: datetime, end: datetime) -> list[datetime]:
    """Every 09:00 and 18:00 Berlin strictly between start and end."""
    cuts = []
    for offset in range(-1, (end - start).days + 2):
        day = start + timedelta(days=offset)
        cuts += [c for c in (berlin_at(day, 9), berlin_at(day, 18)) if start < c < end]
    return sorted(cuts)


def in_office(instant: datetime) -> bool:
    return 9 <= instant.astimezone(BERLIN).hour < 18


def payments_turn(at: datetime) -> tuple[str, datetime]:
    wall = at.astimezone(BERLIN).replace(tzinfo=None)
    turn = (wall - ZERO) // timedelta(days=1)
    end = (ZERO + (turn + 1) * timedelta(days=1)).replace(tzinfo=BERLIN).astimezone(UTC)
    return ("<@U222>", "<@U333>")[turn % 2], end


def line_of(text: str, schedule: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"*{schedule}*: "))


async def test_office_hours_are_shifts_from_opening_to_closing_and_gaps_between(
    bot: RunningBot,
) -> None:
    before = utcnow()
    text = await said(bot, "office 3", "U111")
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    cuts = office_cuts(before, before + timedelta(days=3))
    expected = []
    for a, b in itertools.pairwise(cuts):
        person = "<@U222> (desk)" if in_office(a) else "*nobody* (a gap)"
        expected.append(f"• {when(a)} – {when(b)}: {person}")
    # The first line starts now and the last ends 3 days from now: the ones between are whole.
    assert lines[1:-1] == expected, (lines, expected)
    now = "<@U222> (desk)" if in_office(before) else "*nobody* (a gap)"
    assert lines[0].endswith(f" – {when(cuts[0])}: {now}")
    gaps = sum("*nobody* (a gap)" in line for line in lines)
    assert f"{gaps} gaps: nobody is on call then." in text


async def test_who_is_on_call_now_until_when_and_who_is_next(bot: RunningBot) -> None:
    before = utcnow()
    text = await said(bot, "", "U111")
    person, end = payments_turn(before)
    after, _ = payments_turn(end)
    assert line_of(text, "payments") == (
        f"*payments*: {person} (primary) until {when(end)}, then {after} (primary)"
    )
    [change] = office_cuts(before, before + timedelta(hours=24))[:1]
    if in_office(before):
        office = f"<@U222> (desk) until {when(change)}, then *nobody* (a gap)"
    else:
        office = f"*nobody* (a gap) until {when(change)}, then <@U222> (desk)"
    assert line_of(text, "office") == f"*office*: {office}"
    # One member, every week the same: nothing changes within the look-ahead (two of the
    # longest turns and a day: 15 days), so "at least" until then, and nobody next.
    solo = line_of(text, "solo")
    assert solo.startswith("*solo*: <@U444> (all) until at least ")
    ends = datetime.strptime(solo.split("until at least ")[1][4:20], "%Y-%m-%d %H:%M")
    horizon = ends.replace(tzinfo=BERLIN) - before
    assert timedelta(days=15) - timedelta(minutes=1) < horizon < timedelta(days=15, minutes=1)
    assert ", then" not in solo


async def test_an_override_is_shown_until_its_end_then_the_rotation(bot: RunningBot) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=1), now + timedelta(hours=3)
    async with bot.rt.db.session() as session:
        session.add(
            OncallOverride(
                schedule="payments", user_id="U555", start_at=start, end_at=end, created_by="U111"
            )
        )
    text = await said(bot, "", "U111")
    person, turn_end = payments_turn(end)
    if turn_end == end:  # pragma: no cover - an override ending exactly at a handover
        person, _ = payments_turn(end + timedelta(seconds=1))
    assert line_of(text, "payments") == (
        f"*payments*: <@U555> (an override) until {when(end)}, then {person} (primary)"
    )
    ahead = await said(bot, "payments 1", "U111")
    lines = [line for line in ahead.splitlines() if line.startswith("• ")]
    assert lines[0].startswith("• ") and lines[0].endswith(
        f" – {when(end)}: <@U555> (an override) · override #1 by <@U111>"
    )
    assert lines[1].startswith(f"• {when(end)} – ") and lines[1].endswith(f": {person} (primary)")
