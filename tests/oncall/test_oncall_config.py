"""The `oncall` section of the configuration file: every problem named with its line, a
service's `oncall` checked against the schedules, phone numbers never echoed, and
`python -m bot check` on the on-call example: its gaps are a warning, not a failure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.config_file import parse
from bot.core.config_types import Duration
from handlers.config_sections import SECTIONS
from tests.app.test_check_command import full_env, healthy, run_check
from tests.support.fake_slack import FakeSlack
from tests.support.process import ROOT

__all__ = ["healthy"]  # the fixture, from the check's own tests

BROKEN = """\
services:
  - name: checkout
    oncall: nosuch
oncall:
  admins: [U0ADMIN01, S0GROUP01, admin@example.com]
  people:
    U0000001: {phone: "+1 555 0100 9999 99999", time_zone: Mars/Olympus}
  schedules:
    - name: help
      time_zone: UTC
      layers:
        - name: x
          members: [bob]
          rotation: weekly
          start: "2026-13-01T09:00"
          restrictions: ["mon-fri 09:00-25:00", "someday"]
    - name: two words
      time_zone: UTC
      layers:
        - {name: y, members: [U0000002], rotation: daily, every: 12h, start: "2026-12-07"}
        - {name: z, members: [], every: 10x, start: "2026-12-07"}
        - {name: w, members: [U0000002], every: 30s, start: "2026-12-07"}
"""


def problems(text: str) -> list[str]:
    return [f"line {p.line}: {p.problem}" for p in parse(text, SECTIONS)[2]]


def test_every_problem_of_the_oncall_section_is_named_with_its_line() -> None:
    assert problems(BROKEN) == [
        "line 5: `admin@example.com` is neither a Slack user ID (U0123ABCD) nor a user group "
        "ID (S0123ABCD)",
        "line 7: `Mars/Olympus` is not a time zone: use an IANA name like Europe/Berlin",
        "line 7: a phone number must be in E.164 form: + and 7 to 15 digits",
        "line 9: `help` is a word of /oncall itself: name the schedule otherwise",
        "line 13: `bob` is neither a Slack user ID (U0123ABCD) nor an email address",
        "line 15: `2026-13-01T09:00` is not a start like 2026-12-07T09:00",
        "line 16: `mon-fri 09:00-25:00`: `25:00` is not a time of day (00:00 to 23:59, or 24:00)",
        "line 16: `someday` is not weekdays and hours like `mon-fri 09:00-18:00`",
        "line 17: schedule `two words`: a name is one word (`/oncall two words` reads it)",
        "line 20: layer `y` needs either `rotation` (hourly, daily or weekly) or `every` "
        "(e.g. 12h), not both or neither",
        "line 21: give at least one member",
        "line 21: `10x` is not a duration: write it like 30s, 5m, 12h or 7d",
        "line 22: layer `w`: a turn must last at least a minute",
    ]
    assert "555" not in "\n".join(problems(BROKEN))  # a phone number is never repeated


def test_a_service_must_name_a_schedule_that_exists() -> None:
    text = """\
services:
  - name: checkout
  - name: search
    oncall: nosuch
oncall:
  schedules:
    - {name: payments, time_zone: UTC, layers: [{name: a, members: [U0000001], every: 1d,
       start: "2026-12-07"}]}
"""
    assert problems(text) == [
        "line 4: service `search`: no on-call schedule `nosuch` (the schedules: payments)"
    ]
    assert problems(text.replace("nosuch", "Payments")) == []


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("30s", 30), ("5m", 300), ("12h", 43200), ("7d", 604800), ("1h30m", 5400)],
)
def test_durations(written: str, seconds: int) -> None:
    from pydantic import TypeAdapter

    assert TypeAdapter(Duration).validate_python(written) == timedelta(seconds=seconds)


async def test_check_lists_the_gaps_of_the_next_four_weeks_as_a_warning(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    env = full_env(database_url, healthy, CONFIG_FILE=str(ROOT / "oncall.example.yml"))
    code, lines = await run_check(env, tmp_path)
    assert code == 0, lines
    assert "[ok] oncall payments: someone is on call all of the next 4 weeks" in lines
    assert "[ok] oncall platform: someone is on call all of the next 4 weeks" in lines
    search = next(line for line in lines if line.startswith("[warn] oncall search: "))
    assert "gaps in the next 4 weeks, when nobody is on call (a warning, not a failure)" in search
    assert " IST – " in search and "more" in search
    assert lines[-1] == "all checks passed (1 warning)"
