"""The incident card, refreshed from below its owner. Checklists change what the card shows
(progress, runbooks, the verification), but the card is bot.response's, a layer above, so
response hands its refresh down: a Hook into CARD_REFRESH_HOOKS (bot/response/__init__.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.runtime import Runtime
from storage.models.incidents import Incident

# Brings the card (not the channel topic) up to date; returns what failed, in plain words.
CardRefresh = Callable[[Runtime, Incident], Awaitable[list[str]]]
CARD_REFRESH_HOOKS: list[CardRefresh] = []


async def refresh_card(rt: Runtime, incident: Incident) -> list[str]:
    """The card brought up to date after a checklist change (the topic does not show them)."""
    problems: list[str] = []
    for refresh in CARD_REFRESH_HOOKS:
        problems += await refresh(rt, incident)
    return problems
