"""Reading `/incident log` times: formats, zones, daylight-saving edges and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.timeline.timeparse import TimeParseError, format_local, parse_log_line, read_zone

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles, 13:00 in Berlin
LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")


def parse(args: str, zone=LA, now: datetime = NOW):
    return parse_log_line(args, default_zone=zone, now=now)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "at", "text"),
    [
        ("03:31 PST deploy 4412 rolled out", utc(2026, 11, 26, 11, 31), "deploy 4412 rolled out"),
        ("2026-11-26T03:31Z deploy", utc(2026, 11, 26, 3, 31), "deploy"),
        ("2026-11-26T03:31:15+01:00 deploy", utc(2026, 11, 26, 2, 31, 15), "deploy"),
        ("2026-11-26T0331Z x", None, None),
        ("2026-11-26 03:31 Europe/Berlin deploy", utc(2026, 11, 26, 2, 31), "deploy"),
        ("2026-11-26 03:31 europe/berlin deploy", utc(2026, 11, 26, 2, 31), "deploy"),
        ("2026-07-01 03:31 Europe/Berlin summer", utc(2026, 7, 1, 1, 31), "summer"),
        ("2026-07-01 03:31 PST fixed offset", utc(2026, 7, 1, 11, 31), "fixed offset"),
        ("2026-07-01 03:31 PDT x", utc(2026, 7, 1, 10, 31), "x"),
        ("03:31 CEST x", utc(2026, 11, 26, 1, 31), "x"),
        ("03:31 UTC x", utc(2026, 11, 26, 3, 31), "x"),
        ("03:31 Z x", utc(2026, 11, 26, 3, 31), "x"),
        ("03:31 +05:30 x", utc(2026, 11, 25, 22, 1), "x"),
        ("03:31 UTC-8 x", utc(2026, 11, 26, 11, 31), "x"),
        ("03:31 -0330 x", utc(2026, 11, 26, 7, 1), "x"),
        ("3:31 am x", utc(2026, 11, 26, 11, 31), "x"),  # in the default zone (Los Angeles)
        ("12:05am x", utc(2026, 11, 26, 8, 5), "x"),
        ("12:05 PM x", utc(2026, 11, 25, 20, 5), "x"),  # 12:05 today is still to come
        ("04:00 x", utc(2026, 11, 26, 12, 0), "x"),  # exactly now
        ("04:01 x", utc(2026, 11, 26, 12, 1), "x"),  # a minute of clock difference is fine
        ("04:05 x", utc(2026, 11, 25, 12, 5), "x"),  # the most recent past 04:05: yesterday
        ("23:59:59 x", utc(2026, 11, 26, 7, 59, 59), "x"),
        ("03:31   spaces  kept  inside ", utc(2026, 11, 26, 11, 31), "spaces  kept  inside"),
        ("03:31 ESTIMATE was wrong", utc(2026, 11, 26, 11, 31), "ESTIMATE was wrong"),
    ],
)
def test_times_that_are_read(args: str, at: datetime | None, text: str | None) -> None:
    if at is None:
        with pytest.raises(TimeParseError):
            parse(args)
        return
    line = parse(args)
    assert (line.at, line.text) == (at, text)
    assert line.at.tzinfo is UTC


def test_time_only_uses_the_date_in_the_zone_not_in_utc() -> None:
    # 00:30 UTC on Nov 27 is still Nov 26 in Los Angeles (16:30): 16:00 means Nov 26, local.
    now = utc(2026, 11, 27, 0, 30)
    assert parse("16:00 x", now=now).at == utc(2026, 11, 27, 0, 0)
    assert parse("17:00 x", now=now).at == utc(2026, 11, 26, 1, 0)  # yesterday's 17:00


@pytest.mark.parametrize(
    ("args", "zone", "now", "message"),
    [
        # Fall back: 01:30 happens twice in Los Angeles on 2026-11-01.
        ("2026-11-01 01:30 x", LA, NOW, "happens twice"),
        ("2026-10-25 02:30 Europe/Berlin x", LA, NOW, "happens twice"),
        # Spring forward: 02:30 does not exist in Los Angeles on 2026-03-08.
        ("2026-03-08 02:30 x", LA, NOW, "does not exist"),
        ("2026-03-29 02:00 Europe/Berlin x", LA, NOW, "does not exist"),
        # A time only, on a change day: refused too, unless the most recent one is yesterday's.
        ("01:30 x", LA, utc(2026, 11, 1, 10, 0), "happens twice"),
        ("02:30 x", LA, utc(2026, 3, 8, 12, 0), "does not exist"),
    ],
)
def test_daylight_saving_gaps_and_repeats_are_refused(
    args: str, zone: ZoneInfo, now: datetime, message: str
) -> None:
    with pytest.raises(TimeParseError, match=message):
        parse(args, zone=zone, now=now)


def test_an_ambiguous_time_says_which_offsets_to_choose_from() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse("2026-11-01 01:30 x")
    assert "-07:00" in str(caught.value) and "-08:00" in str(caught.value)
    first = parse("2026-11-01 01:30 -07:00 x").at
    second = parse("2026-11-01 01:30 -08:00 x").at
    assert second - first == timedelta(hours=1)


def test_a_time_only_skipped_today_but_in_the_future_means_yesterday() -> None:
    # At 01:00 local on spring-forward day, 02:30 has not happened today: yesterday's 02:30.
    now = utc(2026, 3, 8, 9, 0)  # 01:00 PST
    assert parse("02:30 x", now=now).at == utc(2026, 3, 7, 10, 30)


def test_edges_around_the_change_resolve_normally() -> None:
    assert parse("2026-03-08 01:59 x").at == utc(2026, 3, 8, 9, 59)  # PST
    assert parse("2026-03-08 03:00 x").at == utc(2026, 3, 8, 10, 0)  # PDT
    assert parse("2026-11-01 00:59 x").at == utc(2026, 11, 1, 7, 59)  # PDT
    assert parse("2026-11-01 02:00 x").at == utc(2026, 11, 1, 10, 0)  # PST


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("", "When, and what happened"),
        ("03:31", "What happened at 03:31"),
        ("03:31 PST", "What happened at 03:31 PST"),
        ("25:00 x", "not a time of day"),
        ("24:00 x", "not a time of day"),
        ("12:60 x", "not a time of day"),
        ("13:00pm x", "from 1 to 12"),
        ("0:00am x", "from 1 to 12"),
        ("3.31 x", "not a time I can read"),
        ("soon x", "not a time I can read"),
        ("2026-02-30 03:00 x", "not a date"),
        ("2026-13-01 03:00 x", "not a date"),
        ("2026-11-26", "needs a time after it"),
        ("2026-11-26 later x", "not a time I can read"),
        ("03:31 IST x", "could mean"),
        ("03:31 AST x", "could mean"),
        ("03:31 Mars/Olympus x", "not a time zone I know"),
        ("03:31 +15:00 x", "not an offset from UTC"),
        ("2026-11-27 03:31 UTC x", "in the future"),
        ("2026-11-26T12:05Z x", "in the future"),
        ("1999-12-31T23:59Z x", "check the year"),
        ("0001-01-01 00:00 +05:00 x", "too far from today"),
        ("9999-12-31 23:59 -05:00 x", "too far from today"),
        ("\u0663:\u0663\u0661 x", "not a time I can read"),
    ],
)
def test_bad_input_gets_a_clear_reason(args: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message):
        parse(args)


def test_zone_words_and_what_is_not_a_zone() -> None:
    assert read_zone("pst") == timezone(timedelta(hours=-8), "PST")
    assert read_zone("ACST").utcoffset(None) == timedelta(hours=9, minutes=30)  # type: ignore[union-attr]
    assert read_zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")
    assert read_zone("deploy") is None
    assert read_zone("4412") is None


def test_format_local_names_the_zone() -> None:
    moment = utc(2026, 11, 26, 3, 31)
    assert format_local(moment, BERLIN) == "2026-11-26 04:31 CET"
    assert format_local(moment, UTC) == "2026-11-26 03:31 UTC"
    assert format_local(moment, timezone(timedelta(hours=5, minutes=30))) == (
        "2026-11-26 09:01 UTC+05:30"
    )
    assert format_local(moment, ZoneInfo("America/Sao_Paulo")) == "2026-11-26 00:31 UTC-03:00"
