"""The learning domain's hooks into declaring (similar past incidents on the card) and the
postmortem draft ("Seen before", the timeline picture)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.runtime import Runtime
from bot.learning.charts import draw
from bot.learning.picture import draw_picture, picture_of
from bot.learning.seen_before import seen_before
from bot.learning.similar import add_similar_incidents
from bot.postmortem.draft import DRAFT_HOOKS, DraftExtras
from bot.postmortem.record import IncidentRecord
from bot.response.declare import DECLARED_HOOKS
from bot.slack.files import Picture
from storage.types import utcnow


async def learning_draft_extras(rt: Runtime, record: IncidentRecord) -> DraftExtras:
    incident = record.incident
    cadence = incident.update_interval_seconds or rt.settings.update_interval_seconds
    now = utcnow()
    title = f"Incident #{incident.id}: {' '.join(incident.title.split())}"[:100] + " (UTC)"
    png = await draw(lambda: draw_picture(picture_of(record, cadence, now), title))
    return DraftExtras(
        seen_before=await seen_before(rt, record),
        pictures=[
            Picture(
                filename=f"incident-{incident.id}-timeline.png",
                title=f"Timeline of incident #{incident.id}",
                content=png,
            )
        ],
    )


def register(app: AsyncApp) -> None:
    """Install the hooks (once per process, however many apps are built)."""
    if add_similar_incidents not in DECLARED_HOOKS:
        DECLARED_HOOKS.append(add_similar_incidents)
    if learning_draft_extras not in DRAFT_HOOKS:
        DRAFT_HOOKS.append(learning_draft_extras)
