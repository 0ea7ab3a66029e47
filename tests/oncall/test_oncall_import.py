"""`python -m bot oncall import pagerduty|opsgenie <id>...`, run as a real process against the
fake PagerDuty REST API and the fake Opsgenie: the YAML it prints passes our own loader and
puts the same person on call as the vendor's own schedule; what does not translate is
listed (stderr and comments); refused credentials, unknown ids, an unreachable or silent
host each get one line and a non-zero exit, never a traceback or the token."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.config_file import parse
from bot.oncall.config import ONCALL, OncallConfig
from bot.oncall.rules import on_call
from handlers.config_sections import SECTIONS
from tests.app.test_check_command import full_env, healthy, run_check
from tests.support.fake_opsgenie import FakeOpsgenie, user
from tests.support.fake_pagerduty_rest import FakePagerDutyRest
from tests.support.fake_slack import FakeSlack
from tests.support.process import ROOT, free_port

__all__ = ["healthy"]  # the fixture, from the check's own tests

# Instants to compare, all in CET (no daylight-saving change between them and the starts).
INSTANTS = [datetime(2027, 1, 4, tzinfo=UTC) + timedelta(hours=5 * n + 0.5) for n in range(100)]


async def run_import(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PAGERDUTY_", "OPSGENIE_"))}
    full.update(env, PYTHONPATH=str(ROOT))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "oncall",
        "import",
        *args,
        env=full,
        cwd=str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def loaded(text: str) -> OncallConfig:
    values, _, problems = parse(text, SECTIONS)
    assert [f"line {p.line}: {p.problem}" for p in problems] == [], text
    oncall = values[ONCALL.name]
    assert isinstance(oncall, OncallConfig)
    return oncall


def weekly(day: int, clock: str, seconds: int) -> dict[str, Any]:
    return {
        "type": "weekly_restriction",
        "start_day_of_week": day,
        "start_time_of_day": clock,
        "duration_seconds": seconds,
    }


@pytest.fixture
async def pagerduty() -> AsyncIterator[FakePagerDutyRest]:
    fake = FakePagerDutyRest()
    people = {
        name: fake.add_user(f"P{name.upper()[:5]:X<6}", name.title(), f"{name}@example.com")
        for name in ("alice", "bob", "carol", "dave", "erin", "frank", "gina")
    }

    def layer(names: list[str], turn: int, start: str, restrictions: list[Any]) -> dict[str, Any]:
        return {
            "start": start,
            "rotation_virtual_start": start,
            "rotation_turn_length_seconds": turn,
            "users": [{"user": people[n]} for n in names],
            "restrictions": restrictions,
        }

    # Every hour by day turns; weekdays 09-18 a weekly pair; Friday 18:00 to Monday 08:00 on top.
    fake.add_schedule(
        "PSCHED1",
        "Payments Primary",
        "Europe/Berlin",
        [
            layer(["alice", "bob", "carol"], 86400, "2026-11-30T09:00:00+01:00", []),
            layer(
                ["dave", "erin"],
                604800,
                "2026-11-30T09:00:00+01:00",
                [weekly(d, "09:00:00", 9 * 3600) for d in range(1, 6)],
            ),
            layer(
                ["frank", "gina"],
                604800,
                "2026-11-27T18:00:00+01:00",
                [weekly(5, "18:00:00", 62 * 3600)],
            ),
        ],
    )
    ghost = {"id": "PGHOST1", "type": "user_reference", "summary": "Gone Person"}
    fake.add_schedule(
        "PSCHED2",
        "help",  # a word of /oncall itself: renamed
        "America/New_York",
        [
            layer(["alice"], 43200, "2026-11-30T08:00:00-05:00", []),
            dict(layer(["bob"], 86400, "2026-11-30T08:00:00-05:00", []), users=[{"user": ghost}]),
            layer(
                ["bob", "carol"],
                86400,
                "2026-11-30T08:00:00-05:00",
                [
                    {
                        "type": "monthly_restriction",
                        "start_time_of_day": "08:00:00",
                        "duration_seconds": 3600,
                    }
                ],
            ),
        ],
    )
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def opsgenie() -> AsyncIterator[FakeOpsgenie]:
    fake = FakeOpsgenie()

    def days(first: str, last: str, a: int, b: int) -> dict[str, Any]:
        return {
            "startDay": first,
            "startHour": a,
            "startMin": 0,
            "endDay": last,
            "endHour": b,
            "endMin": 0,
        }

    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday")
    fake.add_schedule(
        "4f9b-sched-1",
        "Platform Ops",
        "Europe/Berlin",
        [
            {
                "name": "office",
                "type": "weekly",
                "startDate": "2026-11-30T08:00:00Z",
                "participants": [user("ann@example.com"), user("ben@example.com")],
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [days(d, d, 9, 18) for d in weekdays],
                },
            },
            {
                "name": "nights",
                "type": "daily",
                "length": 2,
                "startDate": "2026-11-30T17:00:00Z",
                "participants": [user("cat@example.com"), user("dan@example.com")],
                "timeRestriction": {
                    "type": "time-of-day",
                    "restriction": {"startHour": 18, "startMin": 0, "endHour": 9, "endMin": 0},
                },
            },
            {
                "name": "weekend",
                "type": "hourly",
                "length": 12,
                "startDate": "2026-12-05T08:00:00Z",
                "participants": [user("eve@example.com")],
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [
                        days("saturday", "saturday", 9, 18),
                        days("sunday", "sunday", 9, 18),
                    ],
                },
            },
        ],
    )
    fake.add_schedule(
        "4f9b-sched-2",
        "Team Rota",
        "Europe/Berlin",
        [
            {
                "name": "everyone",
                "type": "daily",
                "startDate": "2026-11-30T08:00:00Z",
                "participants": [user("ann@example.com")],
            },
            {
                "name": "backup",
                "type": "weekly",
                "startDate": "2026-11-30T08:00:00Z",
                "participants": [user("ben@example.com")],
            },
            {
                "name": "team",
                "type": "weekly",
                "startDate": "2026-11-30T08:00:00Z",
                "participants": [{"type": "team", "id": "t1", "name": "sre"}],
            },
        ],
    )
    await fake.start()
    yield fake
    await fake.stop()


def pd_env(fake: FakePagerDutyRest, token: str | None = None) -> dict[str, str]:
    return {"PAGERDUTY_API_URL": fake.url, "PAGERDUTY_API_TOKEN": token or fake.token}


def og_env(fake: FakeOpsgenie, key: str | None = None) -> dict[str, str]:
    return {"OPSGENIE_API_URL": fake.url, "OPSGENIE_API_KEY": key or fake.key}


async def test_a_pagerduty_schedule_of_three_layers_prints_yaml_that_puts_the_same_people_on_call(
    tmp_path: Path, pagerduty: FakePagerDutyRest
) -> None:
    code, out, err = await run_import(tmp_path, pd_env(pagerduty), "pagerduty", "PSCHED1")
    assert (code, err) == (0, ""), err
    schedule = loaded(out).schedules[0]
    assert (schedule.name, schedule.time_zone) == ("payments-primary", "Europe/Berlin")
    # The top layer first: our first layer wins, as PagerDuty's last one does.
    assert [layer.name for layer in schedule.layers] == ["Layer 3", "Layer 2", "Layer 1"]
    top = schedule.layers[0]
    assert top.members == ("frank@example.com", "gina@example.com")
    assert top.restrictions == ("fri 18:00-24:00", "sat-sun 00:00-24:00", "mon 00:00-08:00")
    assert (top.rotation, top.interval) == ("weekly", 1)
    assert schedule.layers[2].rotation == "daily"
    rules = schedule.rules()
    for at in INSTANTS:
        ours = on_call(rules, [], at)
        assert (ours.person if ours else None) == pagerduty.on_call("PSCHED1", at), at
    seen = {r.path: r.headers for r in pagerduty.requests}
    assert set(seen) == {"/schedules/PSCHED1"} | {f"/users/{u}" for u in pagerduty.users}
    assert all(h["Accept"] == "application/vnd.pagerduty+json;version=2" for h in seen.values())


async def test_the_printed_file_passes_python_m_bot_check(
    database_url: str, healthy: FakeSlack, tmp_path: Path, pagerduty: FakePagerDutyRest
) -> None:
    code, out, err = await run_import(tmp_path, pd_env(pagerduty), "pagerduty", "PSCHED1")
    assert code == 0, err
    (tmp_path / "imported.yml").write_text(out)
    env = full_env(database_url, healthy, CONFIG_FILE=str(tmp_path / "imported.yml"))
    code, lines = await run_check(env, tmp_path)
    assert code == 0, lines
    assert "[ok] oncall payments-primary: someone is on call all of the next 4 weeks" in lines


async def test_what_does_not_translate_is_listed_and_commented_out_and_the_rest_still_loads(
    tmp_path: Path, pagerduty: FakePagerDutyRest
) -> None:
    code, out, err = await run_import(tmp_path, pd_env(pagerduty), "pagerduty", "PSCHED2")
    assert code == 0, err
    assert err.splitlines() == [
        "not translated: schedule PSCHED2: layer `Layer 3` left out (commented out): a "
        "restriction of type `monthly_restriction` has no equivalent here",
        "not translated: schedule PSCHED2: layer `Layer 2` left out (commented out): no email "
        "could be read for Gone Person (deleted from PagerDuty?): without them the turns would "
        "fall to the wrong people",
    ]
    assert "# NOT TRANSLATED, left out: a restriction of type `monthly_restriction`" in out
    assert '# - name: "Layer 3"' in out  # the left-out layers are there, commented out
    assert '# - name: "Layer 2"' in out
    schedule = loaded(out).schedules[0]
    assert schedule.name == "help-schedule"
    assert [(x.name, x.every, x.rotation, x.interval) for x in schedule.layers] == [
        ("Layer 1", None, "hourly", 12)
    ]


async def test_opsgenie_rotations_print_yaml_that_puts_the_same_people_on_call(
    tmp_path: Path, opsgenie: FakeOpsgenie
) -> None:
    code, out, err = await run_import(tmp_path, og_env(opsgenie), "opsgenie", "4f9b-sched-1")
    assert (code, err) == (0, ""), err
    schedule = loaded(out).schedules[0]
    assert [x.name for x in schedule.layers] == ["office", "nights", "weekend"]
    assert schedule.layers[0].restrictions == tuple(
        f"{d} 09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")
    )
    assert schedule.layers[1].restrictions == ("18:00-09:00",)
    assert (schedule.layers[1].rotation, schedule.layers[1].interval) == ("daily", 2)
    rules = schedule.rules()
    for at in INSTANTS:
        ours = on_call(rules, [], at)
        theirs = opsgenie.on_call("4f9b-sched-1", at)
        assert len(theirs) <= 1, at  # no overlap in this schedule
        assert (ours.person if ours else None) == next(iter(theirs), None), at
    assert opsgenie.requests[0].headers["Authorization"] == f"GenieKey {opsgenie.key}"


async def test_overlapping_opsgenie_rotations_and_a_team_participant_are_listed(
    tmp_path: Path, opsgenie: FakeOpsgenie
) -> None:
    code, out, err = await run_import(tmp_path, og_env(opsgenie), "opsgenie", "4f9b-sched-2")
    assert code == 0, err
    assert "rotations `everyone` and `backup` are on call at the same time" in err
    assert "Opsgenie notifies both, here only `everyone`, the first listed, is on call" in err
    assert (
        "layer `team` left out (commented out): participants that are not a person (team sre)"
        in err
    )
    schedule = loaded(out).schedules[0]
    assert [x.name for x in schedule.layers] == ["everyone", "backup"]


async def test_several_schedules_at_once_and_an_unknown_one_is_named(
    tmp_path: Path, pagerduty: FakePagerDutyRest
) -> None:
    code, out, err = await run_import(
        tmp_path, pd_env(pagerduty), "pagerduty", "PSCHED1", "PNOPE", "PSCHED2"
    )
    assert code == 1
    assert "error: PagerDuty has no schedule PNOPE (404)" in err.splitlines()
    assert [s.name for s in loaded(out).schedules] == ["payments-primary", "help-schedule"]


@pytest.mark.parametrize("vendor", ["pagerduty", "opsgenie"])
async def test_refused_credentials_unknown_ids_and_silent_or_missing_hosts_get_one_line(
    tmp_path: Path, pagerduty: FakePagerDutyRest, opsgenie: FakeOpsgenie, vendor: str
) -> None:
    if vendor == "pagerduty":
        fake: FakePagerDutyRest | FakeOpsgenie = pagerduty
        name, setting, secret, known = (
            "PagerDuty",
            "PAGERDUTY_API_TOKEN",
            pagerduty.token,
            "PSCHED1",
        )
    else:
        fake, name, setting, secret, known = (
            opsgenie,
            "Opsgenie",
            "OPSGENIE_API_KEY",
            opsgenie.key,
            "4f9b-sched-1",
        )
    url_setting = f"{vendor.upper()}_API_URL"

    def env(credential: str = secret, url: str = fake.url) -> dict[str, str]:
        return {url_setting: url, setting: credential}

    wrong = "wrong-secret-value-123"
    nowhere = f"http://127.0.0.1:{free_port()}"
    answers = {
        "401": await run_import(tmp_path, env(wrong), vendor, known),
        "404": await run_import(tmp_path, env(), vendor, "NOSUCH"),
        "down": await run_import(tmp_path, env(url=nowhere), vendor, known),
    }
    fake.delay(5)
    answers["slow"] = await run_import(tmp_path, env(), vendor, known, "--timeout", "0.5")
    fake.delay(0)
    answers["unset"] = await run_import(tmp_path, {url_setting: fake.url}, vendor, known)
    expected = {
        "401": (1, f"error: {name} refused the credentials (401): check {setting}"),
        "404": (1, f"error: {name} has no schedule NOSUCH (404)"),
        "down": (1, f"error: could not reach {name} at {nowhere} (ClientConnectorError)"),
        "slow": (1, f"error: {name} at {fake.url} did not answer in time"),
        "unset": (2, f"error: {setting} is required to read {vendor} schedules"),
    }
    for case, (code, out, err) in answers.items():
        assert (code, err.strip()) == expected[case], case
        assert out == "", case
        assert wrong not in err and secret not in err, case
    assert any(r.headers.get("Authorization", "").endswith(wrong) for r in fake.requests)
