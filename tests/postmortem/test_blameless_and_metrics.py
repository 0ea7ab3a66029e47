"""The blameless-language check and the response metrics, without Slack or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.postmortem.blameless import blame_tip, find_blame
from bot.postmortem.metrics import human_duration, longest_gap, response_metrics
from storage.models.incidents import Incident

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("It was Dave's fault", "Dave's fault"),
        ("the fault of ops", "fault of ops"),
        ("Dave should have checked the graph", "Dave should have"),
        ("she shouldn't have deployed", "she shouldn't have"),
        ("a careless deploy", "careless"),
        ("Root cause: human error", "human error"),
        ("operator error during failover", "operator error"),
        ("QA is to blame", "is to blame"),
        ("He forgot to run the migration", "forgot to"),
    ],
)
def test_blaming_phrases_are_found(text: str, phrase: str) -> None:
    [finding] = find_blame(text, "where")
    assert finding.phrase == phrase and finding.where == "where"
    assert "ask why the system allowed it" in finding.suggestion


@pytest.mark.parametrize(
    "text",
    [
        "The deploy failed to roll back",
        "Config had an error in line 3 of the template",
        "Alerting should fire sooner",
        "Rollback took 2 minutes",
    ],
)
def test_neutral_texts_are_left_alone(text: str) -> None:
    assert find_blame(text, "x") == []
    assert blame_tip(text) is None


def test_tip_names_the_phrases() -> None:
    tip = blame_tip("Bob should have known, careless")
    assert tip is not None and "“Bob should have”" in tip and "“careless”" in tip


def incident(**values: object) -> Incident:
    return Incident(
        title="t", severity="sev2", declared_by="U1", commander_id="U1", declared_at=T0, **values
    )


def entry(kind: str, minutes: float, deleted: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        kind=kind,
        occurred_at=T0 + timedelta(minutes=minutes),
        deleted_at=T0 if deleted else None,
    )


def test_metrics_from_the_record() -> None:
    entries = [
        entry("log", -30),
        entry("bot_action", 0),
        entry("message", 4, deleted=True),
        entry("message", 5),
        entry("status_update", 10),
        entry("status_update", 40),
        entry("status_update", 45, deleted=True),
        entry("status_update", 50),
    ]
    m = response_metrics(
        incident(mitigated_at=T0 + timedelta(minutes=35), resolved_at=T0 + timedelta(hours=2)),
        entries,
        900,
        T0 + timedelta(days=1),
    )
    assert m.time_to_first_response == timedelta(minutes=5)
    assert m.time_to_mitigation == timedelta(minutes=35)
    assert m.time_to_resolution == timedelta(hours=2)
    assert m.status_updates == 3
    assert m.longest_gap is not None
    assert (m.longest_gap.length, m.longest_gap.label) == (
        timedelta(minutes=70),
        "update → resolution",
    )


def test_open_incident_gap_runs_to_now() -> None:
    gap = longest_gap(T0, [], T0 + timedelta(minutes=20), resolved=False)
    assert gap is not None and gap.label == "declaration → now"
    assert gap.length == timedelta(minutes=20)
    m = response_metrics(incident(), [], 900, T0 + timedelta(minutes=1))
    assert m.time_to_first_response is None and m.time_to_resolution is None


def test_human_durations() -> None:
    assert human_duration(timedelta(seconds=9)) == "9 s"
    assert human_duration(timedelta(minutes=4, seconds=12)) == "4 min 12 s"
    assert human_duration(timedelta(hours=1, minutes=5)) == "1 h 05 min"
    assert human_duration(timedelta(days=2, hours=3)) == "2 d 3 h"
    assert human_duration(None) == "—"
