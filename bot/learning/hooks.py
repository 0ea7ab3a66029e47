"""The learning domain's hook into the postmortem draft ("Seen before", the timeline picture);
its hook into declaring is bot/learning/search.py's add_similar_incidents. Both are plugged in by
its front door."""

from __future__ import annotations

from bot.core.runtime import Runtime
from bot.learning.charts import draw
from bot.learning.picture import draw_picture, picture_of
from bot.learning.seen_before import seen_before
from bot.postmortem.record import IncidentRecord
from bot.postmortem.render.draft import DraftExtras
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
