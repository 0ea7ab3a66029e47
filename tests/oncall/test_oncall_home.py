"""App Home's on-call section, over real HTTP (app_home_opened, views.publish to the fake
Slack): your next three shifts across schedules, overrides applied, in your own zone (the
configuration file's, else your Slack profile's); nothing for someone in no schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.models.oncall import OncallOverride
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.home.test_home import open_home
from tests.support.process_helpers import check_block_kit

CONFIG = """\
oncall:
  people:
    U222: {time_zone: America/New_York}
    carol@example.com: {time_zone: Asia/Tokyo}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222, carol@example.com]
          rotation: daily
          start: "2026-01-01T09:00"
    - name: db
      time_zone: UTC
      layers:
        - name: weekly
          members: [carol@example.com, U444]
          rotation: weekly
          start: "2026-01-05T00:00"
"""
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HEADER = "Your next on-call shifts"


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    running = await start_bot(config_file=str(path))
    running.fake.add_user("UCAROL", tz="Asia/Kolkata", profile={"email": "carol@example.com"})
    running.fake.add_user("U444", tz="Asia/Kolkata")
    return running


def oncall_part(view: dict[str, Any]) -> tuple[list[str], str] | None:
    """The section's lines and its note, or None when the view has no on-call section."""
    blocks = view["blocks"]
    at = next((i for i, b in enumerate(blocks) if b.get("text", {}).get("text") == HEADER), None)
    if at is None:
        return None
    lines = blocks[at + 1]["text"]["text"].splitlines()
    return lines, blocks[at + 2]["elements"][0]["text"]


def payments_turns_of(index: int, count: int) -> list[tuple[datetime, datetime]]:
    """The next `count` daily payments turns of member `index` (of 2): (start, end) aware."""
    start = datetime(2026, 1, 1, 9)
    wall = utcnow().astimezone(BERLIN).replace(tzinfo=None)
    turn = (wall - start) // timedelta(days=1)
    found = []
    while len(found) < count:
        if turn % 2 == index:
            found.append(
                (
                    (start + turn * timedelta(days=1)).replace(tzinfo=BERLIN),
                    (start + (turn + 1) * timedelta(days=1)).replace(tzinfo=BERLIN),
                )
            )
        turn += 1
    return found


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


async def test_your_next_three_shifts_in_your_zone(bot: RunningBot) -> None:
    view = await open_home(bot, "U222")
    check_block_kit(view["blocks"], limit=100)
    part = oncall_part(view)
    assert part is not None
    lines, note = part
    assert len(lines) == 3
    expected = payments_turns_of(0, 3)
    now = utcnow()
    for line, (begins, ends) in zip(lines, expected, strict=True):
        assert line.startswith("• *payments* (primary): ")
        assert f"until {local(ends, NEW_YORK)} EST" in line  # the file's zone, not Slack's UTC
        if begins <= now:
            assert "*now*" in line
        else:
            assert f": {local(begins, NEW_YORK)} EST until" in line
    assert note.startswith("Times in America/New_York.")


async def test_an_email_member_s_shifts_across_schedules_in_order(bot: RunningBot) -> None:
    part = oncall_part(await open_home(bot, "UCAROL"))
    assert part is not None
    lines, note = part
    assert len(lines) == 3
    assert all(line.startswith(("• *payments* (primary)", "• *db* (weekly)")) for line in lines)
    assert " JST" in lines[-1] and "Times in Asia/Tokyo." in note  # the file's, by her email
    # In order of start: a shift under way (*now*) first, then by date.
    starts = [line.split("): ", 1)[1].split(" until ", 1)[0] for line in lines]
    dated = [s for s in starts if s != "*now*"]
    assert starts[: len(starts) - len(dated)] == ["*now*"] * (len(starts) - len(dated))
    assert dated == sorted(dated, key=lambda s: s.split(" ", 1)[1])


async def test_an_override_puts_someone_outside_the_schedules_on_home(bot: RunningBot) -> None:
    assert oncall_part(await open_home(bot, "U555")) is None  # in no schedule: no section
    now = utcnow()
    async with bot.rt.db.session() as session:
        session.add(
            OncallOverride(
                schedule="payments",
                user_id="U555",
                start_at=now - timedelta(hours=1),
                end_at=now + timedelta(hours=3),
                created_by="U999",
            )
        )
    part = oncall_part(await open_home(bot, "U555"))
    assert part is not None
    [line] = part[0]
    ends = (now + timedelta(hours=3)).replace(second=0, microsecond=0)
    assert line == f"• *payments* (an override): *now* until {local(ends, ZoneInfo('UTC'))} UTC"


async def test_nothing_for_someone_in_no_schedule(bot: RunningBot) -> None:
    view = await open_home(bot, "U111")
    assert oncall_part(view) is None
    assert "on-call" not in str(view["blocks"])


async def test_no_section_without_schedules(start_bot: StartBot) -> None:
    bare = await start_bot()
    assert oncall_part(await open_home(bare, "U222")) is None


async def test_without_a_zone_in_the_file_your_slack_zone(bot: RunningBot) -> None:
    part = oncall_part(await open_home(bot, "U444"))
    assert part is not None
    lines, note = part
    assert lines and all(line.startswith("• *db* (weekly): ") for line in lines)
    assert all(" IST" in line for line in lines) and note.startswith("Times in Asia/Kolkata.")
