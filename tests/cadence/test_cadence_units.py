"""The pure parts of the cadence: durations, the rules, update text, mentions, handoff text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.cadence.rules import (
    cadence_problem,
    next_due_after_prompt,
    prompt_recipients,
    snoozed_due,
)
from bot.core.errors import UserError
from bot.response.handoff import handoff_summary
from bot.response.lifecycle import parse_severity, parse_status
from bot.response.roles import parse_person, parse_role_and_person
from bot.response.update_modal import read_update_submission
from bot.slack.durations import DurationError, compact, humanize, parse_duration
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.timeline.status_text import StatusUpdate, open_questions_in
from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("1h", 3600),
        ("90s", 90),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("in 45 min", 2700),
        ("2 hours", 7200),
        ("1.5h", 5400),
        (" 15 Minutes ", 900),
    ],
)
def test_durations_people_type(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("", "Give a duration"), ("30", "needs a unit"), ("soon", "can't read"), ("3w", "not a unit")],
)
def test_durations_refused(text: str, complaint: str) -> None:
    with pytest.raises(DurationError, match=complaint):
        parse_duration(text)


def test_durations_refusals_do_not_echo_control_sequences() -> None:
    with pytest.raises(DurationError) as refused:
        parse_duration("<!channel>")
    assert "&lt;!channel&gt;" in str(refused.value) and "<!channel>" not in str(refused.value)


def test_durations_written_back() -> None:
    assert [humanize(s) for s in (5, 90, 900, 3600, 5400)] == [
        "5 s",
        "1 min 30 s",
        "15 min",
        "1 h",
        "1 h 30 min",
    ]
    for seconds in (2, 90, 900, 5400, 86400):
        assert parse_duration(compact(seconds)) == seconds


def test_next_due_keeps_the_rhythm_but_never_replays_missed_prompts() -> None:
    assert next_due_after_prompt(T0, T0 + timedelta(seconds=1), 900) == T0 + timedelta(seconds=900)
    late = T0 + timedelta(hours=2)
    assert next_due_after_prompt(T0, late, 900) == late + timedelta(seconds=900)


def test_who_a_prompt_asks() -> None:
    assert prompt_recipients("UC", None, 0) == (["UC"], False)
    assert prompt_recipients("UC", None, 5) == (["UC"], False)
    assert prompt_recipients("UC", "UM", 1) == (["UM"], False)
    assert prompt_recipients("UC", "UM", 2) == (["UM", "UC"], True)
    assert prompt_recipients("UC", "UC", 3) == (["UC"], False)


def test_snooze_skips_one_prompt() -> None:
    assert snoozed_due(T0 + timedelta(seconds=800), T0, 900) == T0 + timedelta(seconds=1700)
    assert snoozed_due(None, T0, 900) == T0 + timedelta(seconds=900)
    assert snoozed_due(T0 - timedelta(seconds=5), T0, 900) == T0 + timedelta(seconds=900)


def test_cadence_bounds() -> None:
    assert cadence_problem(60) is None and cadence_problem(86400) is None
    assert "too often" in (cadence_problem(59) or "")
    assert "too rare" in (cadence_problem(86401) or "")


def test_update_text_is_stored_plain_and_shown_escaped() -> None:
    update = StatusUpdate(known="<!channel> 5xx", unknown="why?\nand when?", next_steps="")
    assert (
        update.record_text() == "What we know: <!channel> 5xx\nWhat we don't know: why?\nand when?"
    )
    assert "*What we know:* &lt;!channel&gt; 5xx" in update.mrkdwn()
    assert "doing next" not in update.mrkdwn()
    assert open_questions_in(update.record_text()) == "why?\nand when?"
    assert open_questions_in("plain text") is None
    assert StatusUpdate.free_text("a & b").mrkdwn() == "a &amp; b"


def test_mentions_of_people_survive_escaping_but_broadcasts_do_not() -> None:
    text = "<@U1|ann> and <#C2|ops> saw <!here> & <!subteam^S1> <b>"
    assert escape_keeping_mentions(text) == (
        "<@U1> and <#C2> saw &lt;!here&gt; &amp; &lt;!subteam^S1&gt; &lt;b&gt;"
    )


def test_arguments() -> None:
    assert parse_person("<@U1|ann>", "u") == "U1"
    assert parse_role_and_person("Communicator <@W2>") == ("communicator", "W2")
    assert parse_status(" Identified ") == "identified"
    assert parse_severity("SEV1") == "sev1" and parse_severity("4") == "sev4"
    for bad in ("", "@ann", "<@U1> <@U2>", "<#C1>"):
        with pytest.raises(UserError):
            parse_person(bad, "u")


def test_update_form_next_update_defaults_to_the_cadence() -> None:
    def view(interval: int, **fields: str) -> dict:
        values = {k: {"value": {"value": v}} for k, v in fields.items()}
        meta = json.dumps({"incident_id": 3, "interval": interval})
        return {"state": {"values": values}, "private_metadata": meta}

    assert read_update_submission(view(900, known="k"), 60)[2:] == (900, {})
    assert read_update_submission(view(2, known="k", next_update="2s"), 900)[2:] == (2, {})
    assert read_update_submission(view(2, known="k", next_update="1h"), 900)[2] == 3600
    assert "next_update" in read_update_submission(view(900, known="k", next_update="3s"), 1)[3]
    lost = {"state": {"values": {"known": {"value": {"value": "k"}}}}, "private_metadata": ""}
    assert read_update_submission(lost, 900)[0] is None
    assert "known" in read_update_submission(lost, 900)[3]


def test_handoff_summary_without_a_record_says_so() -> None:
    incident = Incident(
        id=7,
        title="API down",
        severity="sev1",
        declared_by="U1",
        commander_id="U2",
        communicator_id="U2",
        declared_at=T0,
    )
    text = handoff_summary(incident, "U1", None, [], T0 + timedelta(minutes=42))
    assert "open for 42 min" in text
    assert "*Last update:* none yet" in text
    assert "nothing is recorded yet" in text and "*Open questions:* none recorded." in text
    assert "both commander and communicator" in text
    note = TimelineEntry(incident_id=7, kind="note", text="Is DNS ok?", occurred_at=T0)
    assert "Is DNS ok?" in handoff_summary(incident, "U1", None, [note], T0)
