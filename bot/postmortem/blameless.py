"""Spotting language that pins an incident on a person. It advises; it never blocks.

Blameless postmortems ask why the system made a mistake possible, likely and hard to catch,
because people who fear blame stop telling the truth, and the next incident is then
harder to understand.

Speed matters (every timeline entry is checked when drafting): the patterns start with
literal words, and the person's name before `'s fault` / `should have` is found by
walking back from the match rather than by a leading `\\w+` the regex engine would try at
every position.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_ASK_WHY = (
    "ask why the system allowed it: what made this action possible, likely, or hard to notice, "
    "and what would have caught it?"
)
# (pattern, why it reads as blame, whether the word before the match is part of the phrase)
_RULES: list[tuple[str, str, bool]] = [
    (r"'s fault\b(?!-)", "blames a person", True),
    (r"\b(?:fault of [\w@.-]+|(?:his|her|their) fault)\b", "blames a person", False),
    (r" should(?:n't| not)? have\b| should've\b", "judges a person in hindsight", True),
    (r"\b(?:(?:is|are|was|were) to blame|blame[sd]?\b)", "assigns blame", False),
    (
        r"\b(?:careless(?:ness|ly)?|negligen(?:t|ce)|incompeten(?:t|ce)|sloppy|lazy|stupid|"
        r"dumb|reckless(?:ly)?|clueless)\b",
        "describes a person's character, not the conditions",
        False,
    ),
    (
        r"\b(?:human|operator|user|pilot) error\b",
        "names “error” as a cause; it is where to start asking",
        False,
    ),
    (r"\bforgot to\b", "frames a gap in the system as a personal lapse", False),
]
_PATTERN = re.compile(
    "|".join(f"(?P<r{i}>{rx})" for i, (rx, _, _) in enumerate(_RULES)), re.IGNORECASE
)
# Lowercase substrings without which no rule can match: most texts never meet the regex.
_HINTS = (
    "fault", "should", "blame", "careless", "negligen", "incompeten", "sloppy", "lazy",
    "stupid", "dumb", "reckless", "clueless", "human error", "operator error", "user error",
    "pilot error", "forgot to",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    where: str
    phrase: str
    why: str
    excerpt: str

    @property
    def suggestion(self) -> str:
        return _ASK_WHY


def find_blame(text: str, where: str) -> list[Finding]:
    """Blaming phrases in one text, each with a short excerpt around it."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _HINTS):
        return []
    findings = []
    for match in _PATTERN.finditer(text):
        rule = int(match.lastgroup[1:])  # type: ignore[index]  # every alternative is a named group, so lastgroup is set
        _, why, with_subject = _RULES[rule]
        start = match.start()
        if with_subject:
            start = _word_start(text, start)
            if start == match.start():  # "'s fault" / "should have" with no one before it
                continue
        phrase = text[start : match.end()]
        findings.append(Finding(where, phrase.strip(), why, _excerpt(text, start, match.end())))
    return findings


def texts_worth_checking(texts: Sequence[str]) -> list[int]:
    """Indexes of the texts that contain a hint, found with a few fast substring scans over
    all texts at once (a regex over 50,000 texts would take seconds)."""
    lowered = "\x00".join(t.lower() for t in texts)
    starts: list[int] = []
    position = 0
    for text in texts:
        starts.append(position)
        position += len(text.lower()) + 1
    found: set[int] = set()
    for hint in _HINTS:
        at = lowered.find(hint)
        while at != -1:
            index = bisect_right(starts, at) - 1
            found.add(index)
            next_start = starts[index + 1] if index + 1 < len(starts) else len(lowered)
            at = lowered.find(hint, next_start)
    return sorted(found)


def _word_start(text: str, end: int) -> int:
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_@.-"):
        start -= 1
    return start


def blame_tip(text: str) -> str | None:
    """One line to add to a capture confirmation when the text reads as blame."""
    findings = find_blame(text, "")
    if not findings:
        return None
    phrases = ", ".join(f"“{f.phrase}”" for f in findings[:3])
    return f":bulb: Blameless tip: {phrases} reads as blame; instead, {_ASK_WHY}"


def _excerpt(text: str, start: int, end: int, around: int = 60) -> str:
    left = max(0, start - around)
    right = min(len(text), end + around)
    snippet = " ".join(text[left:right].split())
    return ("…" if left else "") + snippet + ("…" if right < len(text) else "")
