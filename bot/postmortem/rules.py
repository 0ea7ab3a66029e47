"""What makes an action item acceptable: specific, owned, time-boxed. Pure checks.

An action item nobody owns, with no date, or worded as a wish ("improve monitoring",
"eventually look into alerts") is how postmortems end with nothing changed. These checks
refuse such items with an explanation of what a good one needs, and store nothing.

Linking to contributing factors: an action item addresses factor F2 when its text starts
with `F2:` (several: `F1, F3: ...`). Factors are numbered F1, F2, ... in the order they are
captured, and nothing deletes them, so the numbers are stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.errors import UserError
from bot.slack.text import excerpt

PRIORITIES = ("P0", "P1", "P2", "P3")
MIN_WORDS = 3
MIN_CHARS = 15
MAX_TEXT = 2000
# A date is in the past only once it has ended everywhere on Earth (UTC-12 is the last place).
LAST_TIME_ZONE = timedelta(hours=12)

GOOD_ACTION_ITEM = (
    "A good action item is *specific* (says exactly what changes, so anyone can tell when it "
    "is done), *owned* (one person, @mentioned) and *time-boxed* (a due date, YYYY-MM-DD, "
    "today or later). For example:\n"
    "`/postmortem action P1 @alice 2026-12-01 F2: Page on-call when checkout p99 latency "
    "exceeds 2 s for 5 minutes`\n"
    "Start the text with `F<n>:` to say which contributing factor it addresses."
)

_VAGUE = [
    (
        re.compile(
            r"\b(eventually|someday|some ?day|at some point|in the future|sometime|"
            r"when (?:we|there) (?:have|has|is) time|if time (?:permits|allows)|when possible|"
            r"as needed|as appropriate|ongoing|tbd|tba|etc\.?|and so on)(?!\w)",
            re.IGNORECASE,
        ),
        "it has no real deadline or end (“{0}”)",
    ),
    (
        re.compile(
            r"\b(look into|looking into|think about|consider|explore|try to|"
            r"be (?:more )?careful|pay (?:more )?attention|be (?:more )?vigilant|"
            r"remember to|don'?t forget|avoid (?:mistakes|errors))\b",
            re.IGNORECASE,
        ),
        "it is a wish or an exhortation, not a change (“{0}”)",
    ),
]
_GENERIC_VERBS = {
    "improve", "better", "enhance", "increase", "more", "fix", "review", "update",
    "strengthen", "optimize", "optimise", "address", "handle", "revisit", "check",
}  # fmt: skip
_GENERIC_MAX_WORDS = 4
_FACTOR_PREFIX = re.compile(r"^\s*(F\d+(?:\s*[,&]\s*F\d+|\s+and\s+F\d+)*)\s*:\s*", re.IGNORECASE)


class ActionProblem(UserError):
    """An action item that cannot be stored, and which field is at fault (for the modal)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def explained(self) -> str:
        return f":warning: Not stored: {self.message}\n{GOOD_ACTION_ITEM}"


@dataclass(frozen=True)
class ActionDraft:
    priority: str
    owner_id: str
    due_date: date
    text: str
    factor_refs: tuple[int, ...] = ()


def earliest_due_date(now: datetime) -> date:
    return (now - LAST_TIME_ZONE).date()


def split_factor_refs(text: str) -> tuple[tuple[int, ...], str]:
    """`F1, F3: add alert` -> ((1, 3), "add alert"). No prefix -> ((), text)."""
    match = _FACTOR_PREFIX.match(text)
    if not match:
        return (), text.strip()
    numbers = tuple(sorted({int(n) for n in re.findall(r"\d+", match.group(1))}))
    return numbers, text[match.end() :].strip()


def vague_reason(text: str) -> str | None:
    """Why the text is too vague to act on, or None if it reads as a concrete change.

    The returned reason quotes the text escaped for Slack.
    """
    stripped = text.strip()
    words = re.findall(r"[\w'-]+", stripped)
    for pattern, reason in _VAGUE:
        match = pattern.search(stripped)
        if match:
            return reason.format(excerpt(match.group(1)))
    if words and words[0].lower() in _GENERIC_VERBS and len(words) <= _GENERIC_MAX_WORDS:
        return (
            f"“{excerpt(stripped)}” names an area, not a change: say what exactly "
            "(which alert, which threshold, which runbook, which check)"
        )
    if len(words) < MIN_WORDS or len(stripped) < MIN_CHARS:
        return (
            f"“{excerpt(stripped)}” is too short to say what will change "
            f"(at least {MIN_WORDS} words and {MIN_CHARS} characters)"
        )
    return None


def parse_due_date(raw: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        raise ActionProblem("due", f"`{excerpt(raw)}` is not a due date; write it as YYYY-MM-DD.")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ActionProblem("due", f"{excerpt(raw)} is not a real date.") from None


def check_action(
    *,
    priority: str | None,
    owner_id: str | None,
    due: date | None,
    text: str,
    now: datetime,
    factor_count: int,
    extra_refs: tuple[int, ...] = (),
) -> ActionDraft:
    """Every rule an action item must pass, in the order a person would fix them."""
    prio = (priority or "").strip().upper()
    if prio not in PRIORITIES:
        raise ActionProblem("priority", "the priority must be P0, P1, P2 or P3.")
    if not owner_id:
        raise ActionProblem(
            "owner", "an action item needs an owner: @mention one person (type @ and pick them)."
        )
    if due is None:
        raise ActionProblem("due", "an action item needs a due date (YYYY-MM-DD).")
    if due < earliest_due_date(now):
        raise ActionProblem(
            "due", f"the due date {due.isoformat()} is in the past; pick today or a later day."
        )
    refs, body = split_factor_refs(text)
    refs = tuple(sorted(set(refs) | set(extra_refs)))
    if len(text) > MAX_TEXT:
        raise ActionProblem("text", f"keep the text under {MAX_TEXT} characters.")
    reason = vague_reason(body)
    if reason:
        raise ActionProblem("text", f"the action item is too vague: {reason}.")
    unknown = [n for n in refs if n < 1 or n > factor_count]
    if unknown:
        known = f"F1 to F{factor_count}" if factor_count else "none yet"
        raise ActionProblem(
            "text",
            f"there is no contributing factor {', '.join(f'F{n}' for n in unknown)} "
            f"(factors so far: {known}; add them with `/postmortem factor`).",
        )
    if extra_refs:  # chosen in the modal: written into the text, the one place links live
        text = ", ".join(f"F{n}" for n in refs) + ": " + body
    return ActionDraft(prio, owner_id, due, text.strip(), refs)
