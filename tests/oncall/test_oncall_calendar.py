"""The on-call calendar feeds over real HTTP: `/oncall calendar` gives the addresses under
WEB_BASE_URL, `GET /oncall/<schedule>.ics` and `GET /oncall/people/<id>.ics` answer iCalendar
that icalendar parses back into the same shifts `/oncall <schedule>` shows (overrides
included), with stable UIDs, times in UTC and the zone named; a missing or wrong key is refused
in one line, and nothing but schedules, layers and names is in a feed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar

from storage.models.oncall import OncallOverride
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.oncall.test_oncall_slack import oncall, shown
from tests.support.incident_steps import key

CONFIG = """\
services:
  - name: checkout
    oncall: payments
oncall:
  people:
    U222: {phone: "+15555550100"}
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
SECRET = "calendar-secret-for-tests-0123"
BASE = "https://sisyphus.example.com"
NAMES = {"<@U222>": "Ana", "<@UCAROL>": "Carol", "<@U555>": "u555"}


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    running = await start_bot(
        config_file=str(path), oncall_calendar_secret=SECRET, web_base_url=BASE + "/"
    )
    running.fake.add_user("U222", profile={"display_name": "Ana"})
    running.fake.add_user(
        "UCAROL", tz="Asia/Kolkata", profile={"email": "carol@example.com", "real_name": "Carol"}
    )
    return running


def expected_key(kind: str, name: str) -> str:
    """The documented key: HMAC-SHA256(ONCALL_CALENDAR_SECRET, kind:name), 32 hex digits."""
    message = f"sisyphus-oncall-calendar:{kind}:{name}".encode()
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()[:32]


async def get(bot: RunningBot, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(bot.url + path) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def feed_urls(bot: RunningBot, user: str, args: str = "") -> list[str]:
    [answer] = await oncall(bot, f"calendar {args}".strip(), user=user)
    return re.findall(r"`(https://[^`]+)`", shown([answer]))


def events(body: str) -> tuple[Calendar, list[Any]]:
    calendar = Calendar.from_ical(body)
    found = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    return calendar, found


def minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


async def test_the_schedule_feed_matches_oncall_with_its_overrides(bot: RunningBot) -> None:
    now = utcnow()
    tomorrow_noon = (now + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    async with bot.rt.db.session() as session:
        session.add(
            OncallOverride(
                schedule="payments",
                user_id="U555",
                start_at=tomorrow_noon,
                end_at=tomorrow_noon + timedelta(hours=2),
                created_by="U999",
            )
        )
    urls = await feed_urls(bot, "U222")
    assert urls == [
        f"{BASE}/oncall/people/U222.ics?key={expected_key('person', 'U222')}",
        f"{BASE}/oncall/payments.ics?key={expected_key('schedule', 'payments')}",
    ]  # their own feed and their schedule's; not db, which they are not in
    status, kind, body = await get(bot, urls[1].removeprefix(BASE))
    assert status == 200 and kind.startswith("text/calendar"), body
    calendar, found = events(body)
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert str(calendar["X-WR-CALNAME"]) == "On call: payments"
    assert "DTSTART:" in body and re.search(r"DTSTART:\d{8}T\d{6}Z", body)  # UTC
    starts = [e.decoded("dtstart") for e in found]
    assert min(starts) <= now - timedelta(days=6) and max(starts) >= now + timedelta(days=59)

    # The same shifts as `/oncall payments 30` (read in UTC: U111's Slack zone).
    answers = await oncall(bot, "payments 30")
    # The shift lines (`• from – until: who (layer)`), not the Changes footer's.
    lines = [
        line
        for line in shown(answers).splitlines()
        if line.startswith("• ") and " – " in line.split(": <@")[0]
    ]
    said = []
    for line in lines:
        match = re.fullmatch(
            r"• \w{3} (\S+ \S+) UTC – \w{3} (\S+ \S+) UTC: (<@\w+>) \((.+?)\)(?: · .+)?", line
        )
        assert match is not None, line
        layer = "override" if match.group(4) == "an override" else match.group(4)
        said.append(
            (match.group(1), match.group(2), f"payments: {NAMES[match.group(3)]} ({layer})")
        )
    end = now + timedelta(days=30)
    fed = [
        (
            minute(max(e.decoded("dtstart"), now)),
            minute(min(e.decoded("dtend"), end)),
            str(e["SUMMARY"]),
        )
        for e in found
        if e.decoded("dtend") > now and e.decoded("dtstart") < end
    ]
    assert fed == said
    assert ("payments: u555 (override)") in {s for _, _, s in said}

    # Stable UIDs: the same shifts have the same UIDs at the next look.
    _, again = events((await get(bot, urls[1].removeprefix(BASE)))[2])
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in found]
    assert len({str(e["UID"]) for e in found}) == len(found)


async def test_a_person_s_feed_has_their_shifts_across_schedules(bot: RunningBot) -> None:
    [own, *schedules] = await feed_urls(bot, "UCAROL")
    assert own == f"{BASE}/oncall/people/UCAROL.ics?key={expected_key('person', 'UCAROL')}"
    assert [u.split("?")[0] for u in schedules] == [
        f"{BASE}/oncall/payments.ics",
        f"{BASE}/oncall/db.ics",
    ]
    status, _, body = await get(bot, own.removeprefix(BASE))
    assert status == 200, body
    calendar, found = events(body)
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Kolkata"  # her Slack zone
    summaries = {str(e["SUMMARY"]) for e in found}
    assert summaries == {"On call: payments (primary)", "On call: db (weekly)"}
    # Hers only: the payments feed's Carol shifts are exactly her payments events.
    _, payments = events((await get(bot, schedules[0].removeprefix(BASE)))[2])
    carol = [
        (e.decoded("dtstart"), e.decoded("dtend")) for e in payments if "Carol" in e["SUMMARY"]
    ]
    mine = [
        (e.decoded("dtstart"), e.decoded("dtend"))
        for e in found
        if str(e["SUMMARY"]) == "On call: payments (primary)"
    ]
    assert mine == carol and carol


async def test_a_missing_or_wrong_key_is_refused_in_one_line(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    good = expected_key("schedule", "payments")
    refused = {
        "/oncall/payments.ics": (403, "this feed needs its key"),
        "/oncall/payments.ics?key=": (403, "this feed needs its key"),
        "/oncall/payments.ics?key=0123456789abcdef0123456789abcdef": (403, "wrong key"),
        f"/oncall/db.ics?key={good}": (403, "wrong key"),  # another feed's key
        f"/oncall/people/U222.ics?key={good}": (403, "wrong key"),
        f"/oncall/people/U222.ics?key={expected_key('person', 'U333')}": (403, "wrong key"),
        "/oncall/gone.ics": (403, "this feed needs its key"),  # nothing told without a key
        f"/oncall/gone.ics?key={expected_key('schedule', 'gone')}": (404, "no such on-call"),
        "/oncall/people/not-an-id.ics?key=x": (404, "not a Slack user ID"),
    }
    caplog.set_level(logging.DEBUG)
    for path, (status, said) in refused.items():
        got, _, body = await get(bot, path)
        assert (got, body.count("\n")) == (status, 1), (path, body)
        assert said in body, (path, body)
        assert "BEGIN:VCALENDAR" not in body
    assert (await get(bot, f"/oncall/PAYMENTS.ics?key={good}"))[0] == 200  # any case
    assert good not in caplog.text and SECRET not in caplog.text  # never logged


async def test_nothing_private_is_in_a_feed(bot: RunningBot) -> None:
    response_key = key()
    await bot.slack.command(
        "declare --private --service checkout sev1 Payroll leak",
        user_id="U222",
        response_key=response_key,
    )
    await bot.fake.wait_for(
        lambda: any(r["_key"] == response_key for r in bot.fake.responses), what="declared"
    )
    for path in (
        f"/oncall/payments.ics?key={expected_key('schedule', 'payments')}",
        f"/oncall/people/U222.ics?key={expected_key('person', 'U222')}",
    ):
        status, _, body = await get(bot, path)
        assert status == 200
        assert "Payroll" not in body and "incident" not in body.lower()
        assert "5555550100" not in body  # a phone number from the file
        assert "carol@example.com" not in body  # found in Slack: her name, not her address


async def test_without_the_settings_it_says_what_to_set(
    start_bot: StartBot, tmp_path: Path
) -> None:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    off = await start_bot(config_file=str(path))
    [answer] = await oncall(off, "calendar")
    assert "Calendar feeds are off" in answer["text"] and "ONCALL_CALENDAR_SECRET" in answer["text"]
    status, _, body = await get(
        off, f"/oncall/payments.ics?key={expected_key('schedule', 'payments')}"
    )
    assert (status, body) == (404, "calendar feeds are off: ONCALL_CALENDAR_SECRET is not set\n")

    no_base = await start_bot(config_file=str(path), oncall_calendar_secret=SECRET)
    [answer] = await oncall(no_base, "calendar")
    assert "sets `WEB_BASE_URL`" in answer["text"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ("nosuch", "There is no on-call schedule `nosuch`. The schedules: `payments`, `db`."),
        ("payments db", "`/oncall calendar` takes at most a schedule"),
    ],
)
async def test_bad_calendar_arguments(bot: RunningBot, args: str, said: str) -> None:
    [answer] = await oncall(bot, f"calendar {args}")
    assert said in answer["text"], answer["text"]


async def test_one_schedule_s_feed_for_anyone_even_a_guest(bot: RunningBot) -> None:
    bot.fake.add_user("UGUEST", is_restricted=True)
    urls = await feed_urls(bot, "UGUEST", "db")
    assert urls == [
        f"{BASE}/oncall/people/UGUEST.ics?key={expected_key('person', 'UGUEST')}",
        f"{BASE}/oncall/db.ics?key={expected_key('schedule', 'db')}",
    ]
