"""The pieces of the import that need no vendor: a span of the week as our windows (each one
our parser reads, together covering exactly the span), and a layer that begins mid-turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.oncall.hours import parse_window
from bot.oncall.importers.timing import align, checked
from bot.oncall.importers.to_yaml import ImportedLayer, schedule_name
from bot.oncall.importers.windows import daily_span, week_span

MONDAY = datetime(2026, 12, 7)


@pytest.mark.parametrize(
    ("weekday", "start", "minutes", "expected"),
    [
        (0, 9 * 60, 9 * 60, ["mon 09:00-18:00"]),
        (4, 22 * 60, 8 * 60, ["fri 22:00-06:00"]),
        (6, 0, 24 * 60, ["sun 00:00-24:00"]),
        (0, 9 * 60, 24 * 60, ["mon 09:00-24:00", "tue 00:00-09:00"]),
        (4, 18 * 60, 62 * 60, ["fri 18:00-24:00", "sat-sun 00:00-24:00", "mon 00:00-08:00"]),
        (5, 0, 48 * 60, ["sat-sun 00:00-24:00"]),
        (2, 30, 7 * 24 * 60, ["00:00-24:00"]),
    ],
)
def test_a_span_of_the_week_is_windows_our_parser_reads_covering_exactly_it(
    weekday: int, start: int, minutes: int, expected: list[str]
) -> None:
    windows = week_span(weekday, start, minutes)
    assert windows == expected
    parsed = [parse_window(w) for w in windows]
    opens = MONDAY + timedelta(days=weekday, minutes=start)
    for step in range(0, 14 * 24 * 60, 30):
        at = MONDAY + timedelta(minutes=step)
        inside = (at - opens) % timedelta(days=7) < timedelta(minutes=minutes)
        assert any(w.covers(at) for w in parsed) == inside, (at, windows)


def test_a_daily_span_crossing_midnight_or_lasting_all_day() -> None:
    assert daily_span(18 * 60, 15 * 60) == "18:00-09:00"
    assert daily_span(8 * 60, 24 * 60) == "00:00-24:00"
    assert daily_span(0, 16 * 60) == "00:00-16:00"


def test_a_layer_that_begins_later_mid_turn_starts_at_the_next_handover_with_who_is_due() -> None:
    zone = ZoneInfo("Europe/Berlin")
    layer = ImportedLayer("primary", ["a@x.io", "b@x.io", "c@x.io"], timedelta(days=1), MONDAY)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    notes: list[str] = []
    align(layer, datetime(2026, 12, 8, 12, tzinfo=zone), zone, now, notes)  # in turn 1
    assert (layer.start, layer.members) == (datetime(2026, 12, 9), ["c@x.io", "a@x.io", "b@x.io"])
    assert notes == [
        "layer `primary` begins 2026-12-08 12:00 CET, in the middle of a turn: imported from "
        "the first handover after it (2026-12-09 00:00)"
    ]


def test_schedule_names_are_one_word_not_a_word_of_oncall_and_unique() -> None:
    taken: set[str] = set()
    names = [schedule_name(t, taken) for t in ("Payments Primary", "payments primary", "Help", "")]
    assert names == ["payments-primary", "payments-primary-2", "help-schedule", "schedule"]


def test_a_layer_the_file_would_refuse_is_left_out_so_the_output_always_loads() -> None:
    odd = checked(ImportedLayer("x", ["bob"], timedelta(days=1), MONDAY))
    assert odd.left_out == "bob: not an email address the bot can look up in Slack"
    late = checked(ImportedLayer("y", ["a@x.io"], timedelta(days=1), MONDAY, ["25:00-26:00"]))
    assert late.left_out is not None and "`25:00` is not a time of day" in late.left_out
    fine = checked(ImportedLayer("z", ["a@x.io"], timedelta(days=1), MONDAY, ["mon 09:00-18:00"]))
    assert fine.left_out is None
