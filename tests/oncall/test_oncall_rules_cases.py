"""Who is on call (bot/oncall/rules.py) at chosen instants, exactly: the edges of a restriction
window (opens at its first minute, closes at its last), a window across midnight, a layer
before its start, an override's own edges, what `/oncall` reads as now and next
(`now_and_next`: the current shift, the one after, "at least until" at the horizon), and the
instants of daylight-saving changes to the second. The random comparison with a reference is
tests/oncall/test_oncall_rules.py; these pin the cases it may not draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.oncall.config import ScheduleDef
from bot.oncall.rules import (
    OVERRIDE,
    Override,
    Rules,
    Shift,
    gaps,
    instant_of,
    now_and_next,
    on_call,
    shifts,
    timeline,
    wall_mark,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
A, B, C = "U00000001", "U00000002", "U00000003"


def schedule(zone: str, *layers: dict[str, Any]) -> Rules:
    """A schedule as the configuration file writes it, read by the bot's own model."""
    return ScheduleDef.model_validate(
        {"name": "s", "time_zone": zone, "layers": list(layers)}
    ).rules()


def local(zone: ZoneInfo, *wall: int) -> datetime:
    """A wall-clock time of `zone` (one that exists, shown once), in UTC."""
    return datetime(*wall, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def who(rules: Rules, instant: datetime, overrides: list[Override] | None = None) -> Any:
    found = on_call(rules, overrides or [], instant)
    return (found.person, found.layer) if found else None


SECOND = timedelta(seconds=1)
# 2026-12-07 is a Monday.
OFFICE = {
    "name": "office",
    "members": [A, B],
    "rotation": "weekly",
    "start": "2026-11-30T00:00",
    "restrictions": ["mon-fri 09:00-18:00"],
}
NIGHTS = {
    "name": "nights",
    "members": [C],
    "rotation": "weekly",
    "start": "2026-11-30T00:00",
    "restrictions": ["fri 22:00-06:00"],
}


def test_a_window_opens_at_its_first_second_and_closes_at_its_end() -> None:
    rules = schedule("Europe/Berlin", OFFICE)
    monday_nine = local(BERLIN, 2026, 12, 7, 9)
    assert who(rules, monday_nine - SECOND) is None
    assert who(rules, monday_nine) == (B, "office")  # the second week: B
    monday_six = local(BERLIN, 2026, 12, 7, 18)
    assert who(rules, monday_six - SECOND) == (B, "office")
    assert who(rules, monday_six) is None
    # Saturday and Sunday are not in the window's days, whatever the hour.
    assert who(rules, local(BERLIN, 2026, 12, 12, 12)) is None
    assert who(rules, local(BERLIN, 2026, 12, 13, 12)) is None
    assert who(rules, local(BERLIN, 2026, 12, 11, 17, 59)) == (B, "office")  # Friday


def test_a_window_across_midnight_closes_the_next_morning() -> None:
    rules = schedule("Europe/Berlin", NIGHTS)
    friday_ten = local(BERLIN, 2026, 12, 11, 22)
    assert who(rules, friday_ten - SECOND) is None
    assert who(rules, friday_ten) == (C, "nights")
    assert who(rules, local(BERLIN, 2026, 12, 12, 0, 0)) == (C, "nights")  # Saturday, after 24:00
    saturday_six = local(BERLIN, 2026, 12, 12, 6)
    assert who(rules, saturday_six - SECOND) == (C, "nights")
    assert who(rules, saturday_six) is None
    # It opens on Fridays only: Saturday night and Friday morning are not covered.
    assert who(rules, local(BERLIN, 2026, 12, 12, 23)) is None
    assert who(rules, local(BERLIN, 2026, 12, 11, 5)) is None
    assert who(rules, local(BERLIN, 2026, 12, 10, 23)) is None  # Thursday night


def test_the_timeline_of_a_night_window_ends_the_next_morning() -> None:
    """Friday 22:00 to Saturday 06:00 (no window opens on Saturday, whose close would fall on
    Sunday morning): the shift ends at Saturday 06:00, not before it opens nor a day later."""
    rules = schedule("Europe/Berlin", NIGHTS)
    start, end = local(BERLIN, 2026, 12, 11, 12), local(BERLIN, 2026, 12, 13, 12)
    weekend = timeline(rules, [], start, end)
    assert [(s.start, s.end, s.person) for s in weekend] == [
        (start, local(BERLIN, 2026, 12, 11, 22), None),
        (local(BERLIN, 2026, 12, 11, 22), local(BERLIN, 2026, 12, 12, 6), C),
        (local(BERLIN, 2026, 12, 12, 6), end, None),
    ]


def test_all_day_is_every_second_of_the_day() -> None:
    rules = schedule(
        "Europe/Berlin",
        {**OFFICE, "name": "weekend", "restrictions": ["sat,sun 00:00-24:00"]},
    )
    saturday = local(BERLIN, 2026, 12, 12, 0)
    assert who(rules, saturday - SECOND) is None
    assert who(rules, saturday)[1] == "weekend"
    assert who(rules, local(BERLIN, 2026, 12, 13, 23, 59, 59))[1] == "weekend"
    assert who(rules, local(BERLIN, 2026, 12, 14, 0)) is None  # Monday


def test_the_week_of_a_restricted_layer_is_cut_at_every_opening_and_closing() -> None:
    """A week from Sunday noon: the shifts of mon-fri 09:00-18:00 over a second layer that
    covers the rest (the first layer in the schedule's order wins)."""
    rules = schedule(
        "Europe/Berlin",
        OFFICE,
        {"name": "rest", "members": [C], "rotation": "weekly", "start": "2026-11-30T00:00"},
    )
    start = local(BERLIN, 2026, 12, 6, 12)
    week = timeline(rules, [], start, start + timedelta(days=7))
    got = [(s.start.astimezone(BERLIN).strftime("%a %H:%M"), s.person) for s in week]
    expected = [("Sun 12:00", C)]
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        expected += [(f"{day} 09:00", B), (f"{day} 18:00", C)]
    assert got == expected
    assert week[-1].end == start + timedelta(days=7)
    assert gaps(week) == [] and shifts(week) == week


def test_the_first_monday_of_a_window_is_cut_at_its_close() -> None:
    """Monday's 18:00 closes a window that opened that morning (Sunday, the day before, has no
    window whose close would fall there)."""
    rules = schedule("Europe/Berlin", OFFICE)
    start = local(BERLIN, 2026, 12, 7, 8)
    day = timeline(rules, [], start, local(BERLIN, 2026, 12, 7, 20))
    assert [(s.start, s.end, s.person) for s in day] == [
        (start, local(BERLIN, 2026, 12, 7, 9), None),
        (local(BERLIN, 2026, 12, 7, 9), local(BERLIN, 2026, 12, 7, 18), B),
        (local(BERLIN, 2026, 12, 7, 18), local(BERLIN, 2026, 12, 7, 20), None),
    ]
    assert [s.person for s in gaps(day)] == [None, None]
    assert [s.person for s in shifts(day)] == [B]


def test_nobody_before_a_layer_starts_and_the_first_member_at_its_start() -> None:
    rules = schedule(
        "UTC", {"name": "all", "members": [A, B, C], "rotation": "daily", "start": "2026-12-07"}
    )
    start = datetime(2026, 12, 7, tzinfo=UTC)
    assert who(rules, start - SECOND) is None
    assert who(rules, start) == (A, "all")
    assert who(rules, start + timedelta(days=1) - SECOND) == (A, "all")
    assert who(rules, start + timedelta(days=1)) == (B, "all")
    assert who(rules, start + timedelta(days=3)) == (A, "all")  # round again
    before = timeline(rules, [], start - timedelta(hours=2), start + timedelta(hours=1))
    assert [(s.start, s.end, s.person) for s in before] == [
        (start - timedelta(hours=2), start, None),
        (start, start + timedelta(hours=1), A),
    ]


def test_an_override_counts_from_its_start_to_just_before_its_end() -> None:
    rules = schedule(
        "UTC", {"name": "all", "members": [A], "rotation": "daily", "start": "2026-12-01"}
    )
    noon = datetime(2026, 12, 9, 12, tzinfo=UTC)
    cover = [Override(B, noon, noon + timedelta(hours=2), 7)]
    assert who(rules, noon - SECOND, cover) == (A, "all")
    assert who(rules, noon, cover) == (B, OVERRIDE)
    assert who(rules, noon + timedelta(hours=2) - SECOND, cover) == (B, OVERRIDE)
    assert who(rules, noon + timedelta(hours=2), cover) == (A, "all")
    day = timeline(rules, cover, noon - timedelta(hours=1), noon + timedelta(hours=3))
    assert [(s.start.hour, s.end.hour, s.person, s.layer) for s in day] == [
        (11, 12, A, "all"),
        (12, 14, B, OVERRIDE),
        (14, 15, A, "all"),
    ]
    # An override that ends exactly where the timeline starts, or starts where it ends, is
    # not in it.
    edges = [
        Override(C, noon - timedelta(hours=3), noon, 8),
        Override(C, noon + timedelta(hours=4), noon + timedelta(hours=5), 9),
    ]
    assert [s.person for s in timeline(rules, edges, noon, noon + timedelta(hours=4))] == [A]


def test_now_and_next_is_the_current_shift_and_the_one_after() -> None:
    rules = schedule(
        "Europe/Berlin",
        {"name": "primary", "members": [A, B], "rotation": "daily", "start": "2026-12-01T09:00"},
    )
    now = local(BERLIN, 2026, 12, 8, 15)  # the 8th turn (from the 1st): B until 09:00 on the 9th
    current, after = now_and_next(rules, [], now, timedelta(days=2))
    assert current == Shift(now, local(BERLIN, 2026, 12, 9, 9), B, "primary")
    assert after == Shift(
        local(BERLIN, 2026, 12, 9, 9), local(BERLIN, 2026, 12, 10, 9), A, "primary"
    )
    # Looking only 3 hours ahead: the current shift lasts "at least" to then, nobody after.
    current, after = now_and_next(rules, [], now, timedelta(hours=3))
    assert current == Shift(now, now + timedelta(hours=3), B, "primary")
    assert after is None
    # The next shift is cut at the horizon too.
    current, after = now_and_next(rules, [], now, timedelta(hours=20))
    assert after == Shift(local(BERLIN, 2026, 12, 9, 9), now + timedelta(hours=20), A, "primary")


def test_now_and_next_in_a_gap_says_when_it_ends() -> None:
    rules = schedule("Europe/Berlin", OFFICE)
    evening = local(BERLIN, 2026, 12, 8, 20)
    current, after = now_and_next(rules, [], evening, timedelta(days=2))
    assert current == Shift(evening, local(BERLIN, 2026, 12, 9, 9), None, None)
    assert after == Shift(
        local(BERLIN, 2026, 12, 9, 9), local(BERLIN, 2026, 12, 9, 18), B, "office"
    )


def test_an_empty_or_backward_span_has_no_shifts() -> None:
    rules = schedule("UTC", OFFICE)
    noon = datetime(2026, 12, 9, 12, tzinfo=UTC)
    assert timeline(rules, [], noon, noon) == []
    assert timeline(rules, [], noon, noon - SECOND) == []


# --- daylight-saving changes, to the second ---------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "wall", "instant"),
    [
        # Spring forward: a wall-clock time in the skipped hour happens at the jump.
        (BERLIN, datetime(2027, 3, 28, 2, 0), datetime(2027, 3, 28, 1, tzinfo=UTC)),
        (BERLIN, datetime(2027, 3, 28, 2, 59, 59), datetime(2027, 3, 28, 1, tzinfo=UTC)),
        (BERLIN, datetime(2027, 3, 28, 3, 0), datetime(2027, 3, 28, 1, tzinfo=UTC)),
        (BERLIN, datetime(2027, 3, 28, 1, 59, 59), datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC)),
        (NEW_YORK, datetime(2027, 3, 14, 2, 30), datetime(2027, 3, 14, 7, tzinfo=UTC)),
        # Lord Howe skips half an hour: 02:00 → 02:30 (standard +10:30 → +11:00).
        (LORD_HOWE, datetime(2026, 10, 4, 2, 15), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
        # Fall back: a repeated time is its first round.
        (BERLIN, datetime(2027, 10, 31, 2, 30), datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
        (NEW_YORK, datetime(2027, 11, 7, 1, 0), datetime(2027, 11, 7, 5, tzinfo=UTC)),
        (LORD_HOWE, datetime(2027, 4, 4, 1, 45), datetime(2027, 4, 3, 14, 45, tzinfo=UTC)),
    ],
)
def test_the_instant_a_wall_clock_time_happens(
    zone: ZoneInfo, wall: datetime, instant: datetime
) -> None:
    assert instant_of(zone, wall) == instant


@pytest.mark.parametrize(
    ("zone", "instant", "mark"),
    [
        # The second round of the repeated hour: the clock has already shown its end.
        (
            BERLIN,
            datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
            datetime(2027, 10, 31, 2, 59, 59, 999999),
        ),
        (
            BERLIN,
            datetime(2027, 10, 31, 1, 59, 59, tzinfo=UTC),
            datetime(2027, 10, 31, 2, 59, 59, 999999),
        ),
        (BERLIN, datetime(2027, 10, 31, 2, 0, tzinfo=UTC), datetime(2027, 10, 31, 3, 0)),
        (BERLIN, datetime(2027, 10, 31, 0, 59, 59, tzinfo=UTC), datetime(2027, 10, 31, 2, 59, 59)),
        (
            NEW_YORK,
            datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
            datetime(2027, 11, 7, 1, 59, 59, 999999),
        ),
        (
            LORD_HOWE,
            datetime(2027, 4, 3, 15, 10, tzinfo=UTC),
            datetime(2027, 4, 4, 1, 59, 59, 999999),
        ),
        # An ordinary instant: the clock's own reading.
        (BERLIN, datetime(2027, 6, 1, 12, 0, 0, 5, tzinfo=UTC), datetime(2027, 6, 1, 14, 0, 0, 5)),
    ],
)
def test_the_clock_s_high_water_mark(zone: ZoneInfo, instant: datetime, mark: datetime) -> None:
    assert wall_mark(zone, instant) == mark


def test_a_handover_in_the_repeated_hour_happens_once_the_first_time_round() -> None:
    rules = schedule(
        "Europe/Berlin",
        {"name": "all", "members": [A, B], "rotation": "daily", "start": "2027-10-01T02:30"},
    )
    # 31 October: 02:30 CEST is 00:30 UTC; at 02:30 CET (01:30 UTC) it is still the same turn.
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    before, during, second = (
        who(rules, first - SECOND),
        who(rules, first),
        who(rules, first + timedelta(hours=1)),
    )
    assert before != during == second
    day = timeline(rules, [], first - timedelta(hours=1), first + timedelta(hours=2))
    assert [(s.start, s.end) for s in day] == [
        (first - timedelta(hours=1), first),
        (first, first + timedelta(hours=2)),
    ]


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=str)
def test_a_change_near_either_end_of_the_span_is_cut(zone: ZoneInfo) -> None:
    """Office hours opening half an hour before the span ends, or an hour after it starts:
    the span's wall-clock bounds are the schedule zone's, whichever side of UTC it is."""
    rules = schedule(str(zone), {**OFFICE, "restrictions": ["09:00-18:00"]})
    start, nine = local(zone, 2026, 12, 8, 8), local(zone, 2026, 12, 8, 9)
    end = local(zone, 2026, 12, 8, 9, 30)
    assert [(s.start, s.end, s.person) for s in timeline(rules, [], start, end)] == [
        (start, nine, None),
        (nine, end, B),
    ]
