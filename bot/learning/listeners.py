"""The learning domain's hooks into declaring (similar past incidents on the card) and the
postmortem draft ("Seen before", the timeline picture)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.runtime import Runtime
from bot.learning.seen_before import seen_before
from bot.learning.similar import add_similar_incidents
from bot.postmortem.draft import DRAFT_HOOKS, DraftExtras
from bot.postmortem.record import IncidentRecord
from bot.response.declare import DECLARED_HOOKS


async def learning_draft_extras(rt: Runtime, record: IncidentRecord) -> DraftExtras:
    return DraftExtras(seen_before=await seen_before(rt, record))


def register(app: AsyncApp) -> None:
    """Install the hooks (once per process, however many apps are built)."""
    if add_similar_incidents not in DECLARED_HOOKS:
        DECLARED_HOOKS.append(add_similar_incidents)
    if learning_draft_extras not in DRAFT_HOOKS:
        DRAFT_HOOKS.append(learning_draft_extras)
