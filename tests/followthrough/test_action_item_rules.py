"""The pure rules for action items and the parsing of /postmortem arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.errors import UserError
from bot.postmortem.args import parse_action, parse_factor, parse_number, parse_text
from bot.postmortem.rules import (
    ActionProblem,
    check_action,
    earliest_due_date,
    split_factor_refs,
    vague_reason,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "improve monitoring",
        "Better testing",
        "fix alerts",
        "Eventually add alerts for checkout latency",
        "Add alerts for checkout at some point",
        "Look into the flaky deploy pipeline",
        "Consider adding a canary stage",
        "Try to deploy less on Fridays",
        "Be more careful with config changes",
        "Remember to run the migration first",
        "Add alerts, dashboards, etc.",
        "Write runbooks as needed for services",
        "fix it",
        "Add alert",
        "Add an alert",  # three words, but under 15 characters
        "improve the monitoring setup",  # a generic verb and four words: an area
    ],
)
def test_vague_texts_are_recognised(text: str) -> None:
    assert vague_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Page on-call when checkout p99 latency exceeds 2 s for 5 minutes",
        "Improve the checkout alert: fire at 2 percent 500s over 5 minutes",
        "Add a CI step validating config files against the schema",
        "Rotate the database credentials",
        "Rotate database credentials",  # three words are enough
        "Add a p99 alert",  # 15 characters are enough
        "Improve the checkout alert threshold",  # a generic verb, but five words say what
    ],
)
def test_specific_texts_pass(text: str) -> None:
    assert vague_reason(text) is None


def test_vague_reasons_say_why_and_quote_what_was_typed() -> None:
    assert vague_reason("Eventually add alerts") == "it has no real deadline or end (“Eventually”)"
    assert vague_reason("improve the monitoring setup") == (
        "“improve the monitoring setup” names an area, not a change: say what exactly "
        "(which alert, which threshold, which runbook, which check)"
    )
    assert vague_reason("Add an alert") == (
        "“Add an alert” is too short to say what will change (at least 3 words and 15 characters)"
    )


def test_vague_reasons_quote_user_text_escaped() -> None:
    reason = vague_reason("fix <!channel>")
    assert reason is not None and "&lt;!channel&gt;" in reason and "<!channel>" not in reason


def test_factor_references_are_a_leading_prefix() -> None:
    assert split_factor_refs("F2: Add a canary") == ((2,), "Add a canary")
    assert split_factor_refs("f1, F3 : Add a canary") == ((1, 3), "Add a canary")
    assert split_factor_refs("F1 and F2: x") == ((1, 2), "x")
    assert split_factor_refs("Add F2 key binding") == ((), "Add F2 key binding")


def test_past_means_over_everywhere_on_earth() -> None:
    # 10:00 UTC on the 26th: it is still the 25th in UTC-12 until 12:00 UTC.
    assert earliest_due_date(NOW) == date(2026, 11, 25)
    assert earliest_due_date(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) == date(2026, 11, 26)


def test_check_action_rules_in_order() -> None:
    base = dict(priority="P1", owner_id="U1", due=date(2026, 12, 1), now=NOW, factor_count=2)
    ok = check_action(**base, text="F2: Add a canary stage for configs")
    assert (ok.priority, ok.factor_refs, ok.text) == (
        "P1",
        (2,),
        "F2: Add a canary stage for configs",
    )
    with pytest.raises(ActionProblem) as exc:
        check_action(**{**base, "priority": "P7"}, text="Add a canary stage for configs")
    assert exc.value.field == "priority"
    with pytest.raises(ActionProblem) as exc:
        check_action(**{**base, "owner_id": None}, text="Add a canary stage for configs")
    assert exc.value.field == "owner"
    with pytest.raises(ActionProblem) as exc:
        check_action(**{**base, "due": date(2026, 11, 24)}, text="Add a canary stage")
    assert exc.value.field == "due" and "in the past" in exc.value.message
    with pytest.raises(ActionProblem) as exc:
        check_action(**base, text="F3: Add a canary stage for configs")
    assert exc.value.field == "text" and "F1 to F2" in exc.value.message
    linked = check_action(**base, text="F1: Add a canary stage", extra_refs=(2,))
    assert linked.text == "F1, F2: Add a canary stage" and linked.factor_refs == (1, 2)


def test_explained_problem_teaches_a_good_action_item() -> None:
    problem = ActionProblem("owner", "an action item needs an owner.")
    text = problem.explained()
    assert text.startswith(":warning: Not stored: an action item needs an owner.")
    assert "*specific*" in text and "*owned*" in text and "*time-boxed*" in text


def test_parse_action_reads_slack_escaped_text() -> None:
    draft = parse_action(
        "p2 <@U9|ann> 2026-12-01 F1: Alert when queue &gt; 1000 for 5 minutes",
        now=NOW,
        factor_count=1,
    )
    assert (draft.priority, draft.owner_id, draft.due_date) == ("P2", "U9", date(2026, 12, 1))
    assert draft.text == "F1: Alert when queue > 1000 for 5 minutes"


def test_parse_factor_text_and_numbers() -> None:
    assert parse_factor("Process  Canary skipped") == ("process", "Canary skipped")
    with pytest.raises(UserError, match="`&lt;b&gt;` is not a kind of factor"):
        parse_factor("&lt;b&gt; text")
    assert parse_text("  a &amp; b ", "/postmortem well <text>") == "a & b"
    assert parse_number("#12", "action item", "/postmortem done <n>") == 12
    with pytest.raises(UserError):
        parse_number("-1", "action item", "/postmortem done <n>")


@pytest.mark.parametrize(
    ("now", "earliest"),
    [
        # Before noon UTC it is still yesterday in UTC-12, so yesterday (UTC) is not past yet.
        (datetime(2026, 11, 26, 9, 30, tzinfo=UTC), date(2026, 11, 25)),
        # From noon UTC, yesterday has ended everywhere: today (UTC) is the earliest.
        (datetime(2026, 11, 26, 15, 45, tzinfo=UTC), date(2026, 11, 26)),
    ],
    ids=["morning", "afternoon"],
)
def test_the_earliest_due_day_is_accepted_and_the_day_before_refused(
    now: datetime, earliest: date
) -> None:
    text = "Add a canary stage for config pushes"
    base = dict(priority="P1", owner_id="U1", now=now, factor_count=0, text=text)
    assert check_action(**base, due=earliest).due_date == earliest
    today = now.date()
    assert check_action(**base, due=today).due_date == today  # "pick today or a later day"
    day_before = earliest - timedelta(days=1)
    with pytest.raises(ActionProblem) as refused:
        check_action(**base, due=day_before)
    assert refused.value.field == "due"
    assert f"the due date {day_before.isoformat()} is in the past" in refused.value.message


SPECIFIC = "Add a canary stage for config pushes"
RULES = dict(priority="P1", owner_id="U1", due=date(2026, 12, 1), now=NOW, factor_count=2)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"priority": None}, "priority", "the priority must be P0, P1, P2 or P3."),
        (
            {"owner_id": ""},
            "owner",
            "an action item needs an owner: @mention one person (type @ and pick them).",
        ),
        ({"due": None}, "due", "an action item needs a due date (YYYY-MM-DD)."),
        ({"text": "x " * 1000 + "y"}, "text", "keep the text under 2000 characters."),
        (
            {"text": "Add an alert"},
            "text",
            "the action item is too vague: “Add an alert” is too short to say what will change "
            "(at least 3 words and 15 characters).",
        ),
        (
            {"text": f"F3, F4: {SPECIFIC}"},
            "text",
            "there is no contributing factor F3, F4 (factors so far: F1 to F2; add them with "
            "`/postmortem factor`).",
        ),
        (
            {"text": f"F1: {SPECIFIC}", "factor_count": 0},
            "text",
            "there is no contributing factor F1 (factors so far: none yet; add them with "
            "`/postmortem factor`).",
        ),
    ],
)
def test_each_refusal_names_the_field_at_fault_and_what_to_fix(
    change: dict, field: str, message: str
) -> None:
    """The modal shows `message` under `field`; the command and any UserError answer, the text."""
    with pytest.raises(ActionProblem) as refused:
        check_action(**{**RULES, "text": SPECIFIC, **change})
    assert (refused.value.field, refused.value.message, str(refused.value)) == (
        field,
        message,
        message,
    )


def test_a_text_of_the_longest_length_is_kept_whole() -> None:
    text = ("Add a canary stage " * 200)[:2000]
    assert check_action(**RULES, text=text).text == text.strip()


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("tomorrow", "`tomorrow` is not a due date; write it as YYYY-MM-DD."),
        ("2026-13-45", "2026-13-45 is not a real date."),
    ],
)
def test_a_due_date_that_is_not_a_day_is_refused_in_the_due_field(due: str, message: str) -> None:
    with pytest.raises(ActionProblem) as refused:
        parse_action(f"P1 <@U1> {due} {SPECIFIC}", now=NOW, factor_count=0)
    assert (refused.value.field, refused.value.message) == ("due", message)
