"""The words of a status update: stored plain in the timeline, shown escaped in Slack."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.mrkdwn import escape_keeping_mentions

KNOWN = "What we know"
UNKNOWN = "What we don't know"
NEXT_STEPS = "What we're doing next"


@dataclass(frozen=True)
class StatusUpdate:
    """A free-text update (`/incident update`) has only `known`, and no headings."""

    known: str
    unknown: str = ""
    next_steps: str = ""
    templated: bool = True

    @classmethod
    def free_text(cls, text: str) -> StatusUpdate:
        return cls(known=text, templated=False)

    def _sections(self) -> list[tuple[str, str]]:
        parts = [(KNOWN, self.known), (UNKNOWN, self.unknown), (NEXT_STEPS, self.next_steps)]
        return [(head, body) for head, body in parts if body]

    def record_text(self) -> str:
        """What the timeline keeps: the person's own words, with plain headings."""
        if not self.templated:
            return self.known
        return "\n".join(f"{head}: {body}" for head, body in self._sections())

    def mrkdwn(self) -> str:
        return "\n".join(self.mrkdwn_parts())

    def mrkdwn_parts(self) -> list[str]:
        """One piece of mrkdwn per template field (one section block each when posted)."""
        if not self.templated:
            return [escape_keeping_mentions(self.known)]
        return [f"*{head}:* {escape_keeping_mentions(body)}" for head, body in self._sections()]


def open_questions_in(record_text: str) -> str | None:
    """The "What we don't know" part of a stored templated update, if it has one."""
    found: list[str] | None = None
    for line in record_text.splitlines():
        if line.startswith(f"{UNKNOWN}:"):
            found = [line.split(":", 1)[1]]
        elif found is not None:
            if line.startswith((f"{KNOWN}:", f"{NEXT_STEPS}:")):
                break
            found.append(line)
    text = "\n".join(found).strip() if found else ""
    return text or None
