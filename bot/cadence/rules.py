"""The rules of the status-update cadence, as pure functions (tested without Slack or a clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.slack.durations import humanize

MIN_CADENCE_SECONDS = 60
MAX_CADENCE_SECONDS = 24 * 3600
# After this many prompts in a row without an update, the next one also calls the commander.
ESCALATE_AFTER_UNANSWERED = 2
# A prompt Slack would not take (5xx, timeouts) is tried again this soon (sooner for short
# cadences: a quarter of the interval).
RETRY_FAILED_PROMPT_SECONDS = 30


def interval_of(update_interval_seconds: int | None, default_seconds: int) -> int:
    """The incident's own cadence if it has one, else the workspace default."""
    return update_interval_seconds or default_seconds


def next_due_after_prompt(due: datetime, now: datetime, interval: int) -> datetime:
    """When the prompt after one due at `due` is due.

    Keeps the rhythm (`due + interval`) unless that is already past, as after downtime: then
    one interval from now, so missed prompts are not replayed one per missed interval.
    """
    following = due + timedelta(seconds=interval)
    return following if following > now else now + timedelta(seconds=interval)


def cadence_problem(seconds: int, *, minimum: int = MIN_CADENCE_SECONDS) -> str | None:
    """Why `seconds` is not a sane cadence, or None if it is."""
    if seconds < minimum:
        return (
            f"Every {humanize(seconds)} is too often; the shortest cadence is {humanize(minimum)}."
        )
    if seconds > MAX_CADENCE_SECONDS:
        return (
            f"Every {humanize(seconds)} is too rare for an open incident; "
            f"the longest cadence is {humanize(MAX_CADENCE_SECONDS)}."
        )
    return None


def prompt_recipients(
    commander_id: str, communicator_id: str | None, unanswered_before: int
) -> tuple[list[str], bool]:
    """Who a prompt mentions, and whether it escalates to the commander.

    The communicator is asked (the commander while there is none). After
    ESCALATE_AFTER_UNANSWERED prompts in a row without an update, the commander is added.
    """
    asked = communicator_id or commander_id
    escalate = unanswered_before >= ESCALATE_AFTER_UNANSWERED and asked != commander_id
    who = [asked, commander_id] if escalate else [asked]
    return [u for u in who if u], escalate and bool(commander_id)  # "": nobody commands yet


def snoozed_due(current_due: datetime | None, now: datetime, interval: int) -> datetime:
    """Snoozing skips one prompt: the next comes one interval later than it would have."""
    base = current_due if current_due is not None and current_due > now else now
    return base + timedelta(seconds=interval)


def retry_delay(interval: int) -> int:
    """How soon to try again after Slack failed to take a prompt: well before the next one."""
    return min(RETRY_FAILED_PROMPT_SECONDS, max(1, interval // 4))
