"""Spotting language that pins an incident on a person. It advises; it never blocks.

Blameless postmortems ask why the system made a mistake possible, likely and hard to catch,
because people who fear blame stop telling the truth, and the next incident is then
harder to understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASK_WHY = (
    "ask why the system allowed it: what made this action possible, likely, or hard to notice, "
    "and what would have caught it?"
)
_RULES: list[tuple[str, str]] = [
    (r"[\w@.-]+'s fault|fault of [\w@.-]+|(?:his|her|their) fault", "blames a person"),
    (r"[\w@.-]+ should(?: not|n't)? have|[\w@.-]+ should've", "judges a person in hindsight"),
    (r"(?:is|are|was|were) to blame|blame[sd]? (?:on )?[\w@.-]+", "assigns blame"),
    (
        r"careless(?:ness|ly)?|negligen(?:t|ce)|incompeten(?:t|ce)|sloppy|lazy|stupid|dumb|"
        r"reckless(?:ly)?|clueless",
        "describes a person's character, not the conditions",
    ),
    (
        r"(?:human|operator|user|pilot) error",
        "names “error” as a cause; it is where to start asking",
    ),
    (r"forgot to", "frames a gap in the system as a personal lapse"),
]
_PATTERN = re.compile(
    "|".join(f"(?P<r{i}>\\b(?:{rx}))" for i, (rx, _) in enumerate(_RULES)), re.IGNORECASE
)
_CHEAP_HINTS = (
    "fault", "should", "blame", "careless", "negligen", "incompeten", "sloppy", "lazy",
    "stupid", "dumb", "reckless", "clueless", "error", "forgot",
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
    if not any(hint in lowered for hint in _CHEAP_HINTS):  # most texts: no regex at all
        return []
    findings = []
    for match in _PATTERN.finditer(text):
        rule = int(next(name for name, value in match.groupdict().items() if value)[1:])
        findings.append(
            Finding(
                where, match.group(0), _RULES[rule][1], _excerpt(text, match.start(), match.end())
            )
        )
    return findings


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
