"""Pure parts of follow-through: criteria and classes in an item's text, working hours, the
digest's week, Block Kit limits of the nudge and digest, and settings that need each other."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.followthrough_settings import parse_days, parse_hours, parse_ticket_users
from bot.core.settings import SettingsError, load_settings
from bot.followthrough.messages import digest_message, nudge_message
from bot.followthrough.nudges import digest_week, in_working_hours
from bot.postmortem.item_text import (
    missing_classes,
    prevention_class_of,
    split_criteria,
)
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem


def test_done_when_splits_the_criteria_off_the_end() -> None:
    assert split_criteria("F1: alert on slow queries. Done when: the alert fires") == (
        "F1: alert on slow queries.",
        "the alert fires",
    )
    assert split_criteria("Add an alert; done WHEN : it pages") == ("Add an alert;", "it pages")
    assert split_criteria("Add a runbook page for warmups") == (
        "Add a runbook page for warmups",
        None,
    )
    assert split_criteria("Add an alert. Done when:") == ("Add an alert.", None)
    assert split_criteria("Document why it is done when: ready. Done when: merged")[1] == "merged"


def test_prevention_classes_come_from_hashtags() -> None:
    assert prevention_class_of("Alert on p99 #Observability now") == "observability"
    assert prevention_class_of("see issue #12 and channel &#automation") is None
    assert prevention_class_of("no tag") is None
    assert missing_classes(["automation", None, "training"]) == [
        "observability",
        "resilience",
        "documentation",
    ]


def test_hours_days_and_user_maps() -> None:
    assert parse_hours("09-18") == (9, 18) and parse_hours("00-24") == (0, 24)
    for bad in ("9to5", "18-09", "00-25", ""):
        with pytest.raises(ValueError):
            parse_hours(bad)
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("mon-sun") == frozenset(range(7))
    assert parse_days("sat-mon") == frozenset({5, 6, 0})
    assert parse_days("mon,wed") == frozenset({0, 2})
    with pytest.raises(ValueError):
        parse_days("weekdays")
    assert parse_ticket_users("U1AB=octocat, W2=5b10") == {"U1AB": "octocat", "W2": "5b10"}
    with pytest.raises(ValueError):
        parse_ticket_users("ann=octocat")


def test_working_hours_are_local() -> None:
    at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # a Tuesday
    auckland = at.astimezone(ZoneInfo("Pacific/Auckland"))  # Wednesday 03:00
    assert not in_working_hours(auckland, (9, 18), parse_days("mon-fri"))
    assert in_working_hours(at, (9, 18), parse_days("mon-fri"))
    assert in_working_hours(auckland, (0, 24), parse_days("mon-sun"))
    assert not in_working_hours(at + timedelta(days=4), (0, 24), parse_days("mon-fri"))  # Sat


def test_the_digest_is_due_from_monday_nine_utc() -> None:
    monday = datetime(2026, 11, 30, 8, 59, tzinfo=UTC)
    assert digest_week(monday) is None
    assert digest_week(monday + timedelta(minutes=1)) == "2026-W49"
    assert digest_week(monday + timedelta(days=6)) == "2026-W49"
    assert digest_week(monday - timedelta(hours=9)) == "2026-W48"  # Sunday: last week's


def _rows(n: int) -> list[tuple[ActionItem, Incident]]:
    incident = Incident(
        id=1, title="t", severity="sev2", declared_by="U1", commander_id="U1", channel_id="C1"
    )
    return [
        (
            ActionItem(
                id=i,
                incident_id=1,
                number=i,
                priority="P1",
                owner_id=f"U{i % 7}",
                due_date=date(2026, 11, 1),
                text="<&>" * 660,
            ),
            incident,
        )
        for i in range(1, n + 1)
    ]


def test_nudges_and_digests_stay_within_block_kit_limits() -> None:
    _, blocks = nudge_message("U1", _rows(40), date(2026, 12, 1))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b.get("text"))
    assert "and 25 more" in str(blocks[-1])
    _, blocks = digest_message(_rows(300), date(2026, 12, 1))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b.get("text"))
    assert "&lt;&amp;&gt;" in str(blocks) and "<&>" not in str(blocks)


def test_tickets_need_their_settings() -> None:
    base = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "_env_file": None}
    with pytest.raises(SettingsError) as caught:
        load_settings(**base, tickets="jira", jira_url="https://x.atlassian.net")
    assert caught.value.problems == [
        "JIRA_EMAIL is required when TICKETS=jira",
        "JIRA_API_TOKEN is required when TICKETS=jira",
        "JIRA_PROJECT_KEY is required when TICKETS=jira",
    ]
    with pytest.raises(SettingsError) as caught:
        load_settings(**base, tickets="gitlab", github_repo="nope", nudge_days="weekdays")
    assert [p.split()[0] for p in caught.value.problems] == [
        "TICKETS",
        "GITHUB_REPO",
        "NUDGE_DAYS",
    ]
    ok = load_settings(**base, tickets="GitHub", github_token="t", github_repo="acme/ops")
    assert ok.tickets == "github" and ok.github_api_url == "https://api.github.com"
