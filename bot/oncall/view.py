"""What `/oncall` shows, as Block Kit: who is on call now for every schedule, and a schedule's
shifts ahead. Times in the reader's zone. A long answer is cut into messages of at most
MESSAGE_BLOCKS sections of at most SECTION_TEXT_LIMIT characters each, and at most MESSAGES
messages (a slash command's response_url takes 5); what does not fit is counted, never cut
mid-line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.oncall.rules import OVERRIDE, Shift
from bot.slack.blocks import SECTION_TEXT_LIMIT, context, section
from bot.slack.text import escape
from bot.timeline.timeparse import format_local

MESSAGE_BLOCKS = 45  # of Slack's 50, with room for a heading and a note
MESSAGES = 4  # of the 5 answers a response_url takes


@dataclass(frozen=True)
class NowAndNext:
    schedule: str
    now: Shift
    next: Shift | None
    horizon_end: datetime  # the current shift's end is "at least" when it is this


def when(moment: datetime, zone: tzinfo) -> str:
    """`Mon 2026-12-07 09:00 CET` in the reader's zone."""
    return f"{moment.astimezone(zone):%a} {format_local(moment, zone)}"


def who(shift: Shift, names: dict[str, str]) -> str:
    if shift.person is None:
        return "*nobody* (a gap)"
    layer = "an override" if shift.layer == OVERRIDE else escape(shift.layer or "")
    return f"{names.get(shift.person, escape(shift.person))} ({layer})"


def now_line(row: NowAndNext, names: dict[str, str], zone: tzinfo) -> str:
    until = (
        f"until at least {when(row.now.end, zone)}"
        if row.now.end >= row.horizon_end
        else f"until {when(row.now.end, zone)}"
    )
    then = f", then {who(row.next, names)}" if row.next is not None else ""
    return f"*{escape(row.schedule)}*: {who(row.now, names)} {until}{then}"


def shift_line(shift: Shift, names: dict[str, str], zone: tzinfo) -> str:
    return f"• {when(shift.start, zone)} – {when(shift.end, zone)}: {who(shift, names)}"


def paged(heading: str, lines: Sequence[str], footer: str) -> list[list[dict[str, Any]]]:
    """The messages to send: the heading first, lines packed into sections, the footer last."""
    messages: list[list[dict[str, Any]]] = []
    blocks: list[dict[str, Any]] = [section(heading)]
    text = ""
    shown = 0
    for line in lines:
        if text and len(text) + 1 + len(line) > SECTION_TEXT_LIMIT:
            blocks.append(section(text))
            text = ""
            if len(blocks) >= MESSAGE_BLOCKS:
                if len(messages) + 1 >= MESSAGES:
                    break
                messages.append(blocks)
                blocks = []
        text = f"{text}\n{line}" if text else line
        shown += 1
    else:
        if text:
            blocks.append(section(text))
    left = len(lines) - shown
    note = f"{footer}" + (f"\n…and {left} more: ask for fewer days to see them." if left else "")
    if note:
        blocks.append(context(note))
    messages.append(blocks)
    return messages
