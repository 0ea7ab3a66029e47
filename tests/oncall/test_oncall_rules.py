"""Who is on call (bot/oncall/rules.py) against a slow reference written here from the rules as
docs/oncall.md states them, over random schedules and instants, with the overrides stored in
and read back from the database (both databases).

The reference steps the wall clock minute by minute: the latest wall-clock time the zone has
shown up to an instant (its high-water mark) is the largest local reading of the 3 hours of
whole minutes before it; every rule is then plain arithmetic on that reading.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.oncall.config import ScheduleDef
from bot.oncall.queries import overrides_between
from bot.oncall.rules import (
    OVERRIDE,
    Override,
    Rules,
    gaps,
    instant_of,
    on_call,
    timeline,
    wall_mark,
)
from storage import Database
from storage.migrate import upgrade_to_head
from storage.models.oncall import OncallOverride

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PEOPLE = [f"U0000000{n}" for n in range(1, 6)]
# The 2026 changes of the zones that have them, in UTC.
CHANGES = {
    "Europe/Berlin": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "America/New_York": [
        datetime(2026, 3, 8, 7, tzinfo=UTC),
        datetime(2026, 11, 1, 6, tzinfo=UTC),
    ],
    # 30 minutes: 02:00 → 01:30 on 5 April, 02:00 → 02:30 on 4 October (local standard time)
    "Australia/Lord_Howe": [
        datetime(2026, 4, 4, 15, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ],
    "Asia/Kolkata": [],
}
_names = itertools.count(1)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade_to_head(database.engine)
    try:
        yield database
    finally:
        await database.dispose()


# --- random schedules --------------------------------------------------------------------------


@dataclass(frozen=True)
class RefWindow:
    days: frozenset[int]
    start: int  # minutes after midnight
    end: int  # minutes after midnight, 1440 for 24:00; <= start: the next day

    def text(self) -> str:
        days = ",".join(DAYS[d] for d in sorted(self.days))
        opens, closes = divmod(self.start, 60), divmod(self.end, 60)
        return f"{days} {opens[0]:02d}:{opens[1]:02d}-{closes[0]:02d}:{closes[1]:02d}"


@dataclass(frozen=True)
class RefLayer:
    name: str
    members: tuple[str, ...]
    start: datetime  # naive local
    minutes: int  # a turn
    windows: tuple[RefWindow, ...]
    spelled: dict[str, object]  # how the file writes the rotation


@dataclass(frozen=True)
class RefSchedule:
    zone: str
    layers: tuple[RefLayer, ...]

    def definition(self, name: str) -> ScheduleDef:
        """Through the configuration file's own model, as the bot reads it."""
        return ScheduleDef.model_validate(
            {
                "name": name,
                "time_zone": self.zone,
                "layers": [
                    {
                        "name": layer.name,
                        "members": list(layer.members),
                        "start": layer.start.strftime("%Y-%m-%dT%H:%M"),
                        "restrictions": [w.text() for w in layer.windows],
                        **layer.spelled,
                    }
                    for layer in self.layers
                ],
            }
        )


@st.composite
def windows(draw: st.DrawFn) -> RefWindow:
    days = frozenset(draw(st.sets(st.integers(0, 6), min_size=1)))
    start = draw(st.integers(0, 95)) * 15 + draw(st.sampled_from([0, 0, 7]))
    end = draw(st.integers(0, 96)) * 15
    if end == start:
        end = (start + 60) % 1440
    if end == 0:
        end = 1440 if draw(st.booleans()) else 0
    return RefWindow(days, start, end)


ROTATIONS = [
    ({"rotation": "hourly"}, 60),
    ({"rotation": "hourly", "interval": 3}, 180),
    ({"rotation": "daily"}, 1440),
    ({"rotation": "daily", "interval": 2}, 2880),
    ({"rotation": "weekly"}, 10080),
    ({"every": "30m"}, 30),
    ({"every": "12h"}, 720),
    ({"every": "1h30m"}, 90),
]


@st.composite
def layers(draw: st.DrawFn, index: int) -> RefLayer:
    spelled, minutes = draw(st.sampled_from(ROTATIONS))
    # Starts near the year's changes, so handovers and windows fall on and around them.
    near = draw(
        st.sampled_from(
            [
                datetime(2026, 3, 7),
                datetime(2026, 3, 28),
                datetime(2026, 10, 3),
                datetime(2026, 10, 24),
                datetime(2026, 4, 4),
                datetime(2026, 10, 31),
            ]
        )
    )
    start = near + timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    return RefLayer(
        name=f"layer{index}",
        members=tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))),
        start=start,
        minutes=minutes,
        windows=tuple(draw(st.lists(windows(), max_size=2))),
        spelled=spelled,
    )


@st.composite
def schedules(draw: st.DrawFn) -> RefSchedule:
    count = draw(st.integers(1, 3))
    return RefSchedule(draw(st.sampled_from(ZONES)), tuple(draw(layers(i)) for i in range(count)))


# --- the reference --------------------------------------------------------------------------


def ref_mark(zone: ZoneInfo, instant: datetime) -> datetime:
    """The latest wall-clock reading of the 3 hours of whole minutes up to `instant`."""
    return max(
        datetime.fromtimestamp((instant - timedelta(minutes=m)).timestamp(), zone).replace(
            tzinfo=None
        )
        for m in range(181)
    )


def ref_covers(window: RefWindow, wall: datetime) -> bool:
    for back in (0, 1):
        day = datetime.combine((wall - timedelta(days=back)).date(), datetime.min.time())
        if day.weekday() not in window.days:
            continue
        opens = day + timedelta(minutes=window.start)
        closes = day + timedelta(minutes=window.end + (1440 if window.end <= window.start else 0))
        if window.end == 1440:
            closes = day + timedelta(minutes=1440)
        if opens <= wall < closes:
            return True
    return False


def ref_person(schedule: RefSchedule, wall: datetime) -> tuple[str, str] | None:
    for layer in schedule.layers:
        if wall < layer.start:
            continue
        if layer.windows and not any(ref_covers(w, wall) for w in layer.windows):
            continue
        elapsed = int((wall - layer.start).total_seconds() // 60)
        turn = elapsed // layer.minutes
        return layer.members[turn % len(layer.members)], layer.name
    return None


@dataclass(frozen=True)
class RefOverride:
    person: str
    start: datetime
    end: datetime


def ref_on_call(
    schedule: RefSchedule, overrides: list[RefOverride], instant: datetime
) -> tuple[str, str] | None:
    covering = [o for o in overrides if o.start <= instant < o.end]
    if covering:  # the newest: the last stored
        return covering[-1].person, OVERRIDE
    return ref_person(schedule, ref_mark(ZoneInfo(schedule.zone), instant))


# --- properties -----------------------------------------------------------------------------


@st.composite
def overrides(draw: st.DrawFn, around: datetime) -> list[RefOverride]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        start = around + timedelta(minutes=draw(st.integers(-3000, 3000)))
        end = start + timedelta(minutes=draw(st.integers(1, 3000)))
        out.append(RefOverride(draw(st.sampled_from(PEOPLE)), start, end))
    return out


async def stored(db: Database, name: str, given: list[RefOverride]) -> list:
    """The overrides written as rows and read back as the bot reads them."""
    async with db.session() as session:
        for o in given:
            session.add(
                OncallOverride(
                    schedule=name, user_id=o.person, start_at=o.start, end_at=o.end, created_by="U1"
                )
            )
    far = datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    async with db.session() as session:
        return (await overrides_between(session, *far, [name])).get(name, [])


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _found_not_shrunk_under_mutmut(request: pytest.FixtureRequest) -> None:
    """Under `make mutate` (mutmut sets MUTANT_UNDER_TEST for each mutant, after this module
    was imported) a failing example is reported as found, not shrunk: shrinking one takes
    minutes, which mutmut counts as a timeout. Hypothesis reads a test's settings when it runs."""
    test = request.function
    if os.environ.get("MUTANT_UNDER_TEST") and hasattr(test, "_hypothesis_internal_use_settings"):
        test._hypothesis_internal_use_settings = settings(
            test._hypothesis_internal_use_settings,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        )


@SETTINGS
@given(data=st.data())
async def test_every_instant_has_the_person_the_rules_give(
    db: Database, data: st.DataObject
) -> None:
    schedule = data.draw(schedules())
    rules = schedule.definition("s").rules()
    base = min(layer.start for layer in schedule.layers).replace(tzinfo=UTC)
    given = data.draw(overrides(base))
    name = f"s{next(_names)}"
    from_db = await stored(db, name, given)
    assert len(from_db) == len(given)
    for _ in range(6):
        instant = base + timedelta(minutes=data.draw(st.integers(-1440, 20 * 1440)))
        found = on_call(rules, from_db, instant)
        got = (found.person, found.layer) if found else None
        assert got == ref_on_call(schedule, given, instant), (instant, schedule, given)


@SETTINGS
@given(data=st.data())
async def test_the_timeline_agrees_with_the_instants_and_has_no_hole_or_overlap(
    db: Database, data: st.DataObject
) -> None:
    schedule = data.draw(schedules())
    rules = schedule.definition("s").rules()
    base = min(layer.start for layer in schedule.layers).replace(tzinfo=UTC)
    name = f"t{next(_names)}"
    from_db = await stored(db, name, data.draw(overrides(base)))
    start = base + timedelta(minutes=data.draw(st.integers(-600, 5 * 1440)))
    end = start + timedelta(minutes=data.draw(st.integers(1, 4 * 1440)))
    shifts = timeline(rules, from_db, start, end)
    assert shifts[0].start == start and shifts[-1].end == end
    for a, b in itertools.pairwise(shifts):
        assert a.end == b.start  # no hole, no overlap
        assert (a.person, a.layer) != (b.person, b.layer)  # merged
    for shift in shifts:
        assert shift.start < shift.end
        for probe in (shift.start, shift.end - timedelta(seconds=1)):
            now = on_call(rules, from_db, probe)
            assert (now.person if now else None, now.layer if now else None) == (
                shift.person,
                shift.layer,
            )


# --- daylight-saving changes ----------------------------------------------------------------


def whole_day(zone: str, members: tuple[str, ...], spelled: dict[str, object], start: str) -> Rules:
    return ScheduleDef.model_validate(
        {
            "name": "x",
            "time_zone": zone,
            "layers": [{"name": "all", "members": list(members), "start": start, **spelled}],
        }
    ).rules()


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("spelled", [r[0] for r in ROTATIONS], ids=str)
def test_no_gap_and_no_double_at_a_change(zone: str, spelled: dict[str, object]) -> None:
    """Minute by minute for 4 hours around each change: always exactly one person, the one
    the reference gives, and the timeline has no gap."""
    rules = whole_day(zone, ("U00000001", "U00000002", "U00000003"), spelled, "2026-01-05T01:30")
    reference = RefSchedule(
        zone,
        (
            RefLayer(
                "all",
                ("U00000001", "U00000002", "U00000003"),
                datetime(2026, 1, 5, 1, 30),
                next(m for s, m in ROTATIONS if s == spelled),
                (),
                spelled,
            ),
        ),
    )
    for change in CHANGES[zone] or [datetime(2026, 3, 29, 1, tzinfo=UTC)]:
        start, end = change - timedelta(hours=2), change + timedelta(hours=2)
        assert gaps(timeline(rules, [], start, end)) == []
        minute = start
        while minute < end:
            found = on_call(rules, [], minute)
            assert found is not None
            assert (found.person, found.layer) == ref_on_call(reference, [], minute), minute
            minute += timedelta(minutes=1)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_a_weekly_handover_at_nine_stays_at_nine_local(zone: str) -> None:
    rules = whole_day(zone, ("U00000001", "U00000002"), {"rotation": "weekly"}, "2026-01-05T09:00")
    year = timeline(rules, [], datetime(2026, 1, 6, tzinfo=UTC), datetime(2027, 1, 6, tzinfo=UTC))
    handovers = [s.start.astimezone(ZoneInfo(zone)) for s in year[1:]]
    assert len(handovers) == 52
    assert {(h.weekday(), h.hour, h.minute) for h in handovers} == {(0, 9, 0)}


def test_the_skipped_hour_hands_over_at_the_jump_and_the_repeated_hour_is_one_turn() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 02:30 on 29 March does not exist in Berlin: it happens at the jump, 03:00 CEST.
    assert instant_of(berlin, datetime(2026, 3, 29, 2, 30)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    # 02:30 on 25 October is shown twice: the first time counts.
    assert instant_of(berlin, datetime(2026, 10, 25, 2, 30)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # The second time round, the clock's high-water mark stands at the end of the hour.
    mark = wall_mark(berlin, datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert mark.replace(microsecond=0) == datetime(2026, 10, 25, 2, 59, 59)
    hourly = whole_day(
        "Europe/Berlin", ("U00000001", "U00000002"), {"rotation": "hourly"}, "2026-10-25T00:00"
    )
    day = timeline(
        hourly, [], datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
    )
    # 02:00-03:00 local lasts two hours of real time (00:00-02:00 UTC) and is one turn.
    assert [(s.start.hour, s.end.hour) for s in day] == [(23, 0), (0, 2), (2, 3)]


def test_overrides_win_and_the_newest_of_two_wins() -> None:
    rules = whole_day("Asia/Kolkata", ("U00000001",), {"rotation": "daily"}, "2026-01-01T00:00")
    noon = datetime(2026, 6, 1, 12, tzinfo=UTC)
    older = Override("U00000002", noon - timedelta(hours=5), noon + timedelta(hours=5), 1)
    newer = Override("U00000003", noon - timedelta(hours=1), noon + timedelta(hours=1), 2)
    assert on_call(rules, [older], noon).person == "U00000002"  # type: ignore[union-attr]
    assert on_call(rules, [newer, older], noon).person == "U00000003"  # type: ignore[union-attr]
    assert on_call(rules, [older, newer], noon + timedelta(hours=2)).person == "U00000002"  # type: ignore[union-attr]
