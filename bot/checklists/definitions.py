"""Which checklists to post at declare (bot/checklists/config.py has their shape).

They are the `checklists` section of CONFIG_FILE, or the whole of CHECKLISTS_FILE (the older
place, still read). A bad file stops the bot at start-up with the file, the line and every
problem; a missing CHECKLISTS_FILE means no checklists. The bot reads them once, at start-up
(restart it to change them).
"""

from __future__ import annotations

from bot.checklists.config import CHECKLISTS, MAX_ITEMS, MAX_TEXT, ChecklistDef
from bot.core.config_file import parse
from bot.core.runtime import Runtime

__all__ = ["MAX_ITEMS", "MAX_TEXT", "ChecklistDef", "ChecklistFileError", "parse_checklists"]


class ChecklistFileError(Exception):
    """What is wrong with the file, as `path, line N: problem` (one line per problem)."""


def parse_checklists(text: str, path: str) -> tuple[ChecklistDef, ...]:
    """The checklists of a CHECKLISTS_FILE's text; ChecklistFileError with every problem."""
    values, _, problems = parse(text, [CHECKLISTS], only=CHECKLISTS)
    if problems:
        raise ChecklistFileError("\n".join(f"{path}, line {p.line}: {p.problem}" for p in problems))
    return values.get(CHECKLISTS.name, ())


def checklists(rt: Runtime) -> tuple[ChecklistDef, ...]:
    """The checklists this bot was started with."""
    return rt.config.get(CHECKLISTS)


def matching(
    defs: tuple[ChecklistDef, ...], severity: str, labels: dict[str, str]
) -> list[ChecklistDef]:
    return [d for d in defs if d.matches(severity, labels)]
