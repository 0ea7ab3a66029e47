"""Tags: lowercase slugs on an incident (`database`, `deploy`), kept sorted in `incident.tags`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.errors import UserError
from bot.slack.text import escape
from storage.models.incidents import Incident
from storage.types import utcnow

TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MAX_TAGS = 10


def tags_of(incident: Incident) -> list[str]:
    return (incident.tags or "").split()


def parse_tags(args: str, *, at_most: int | None = None) -> list[str]:
    """Slugs from the command's words (`#database` and `Database` read as `database`)."""
    words = [w.lstrip("#").lower() for w in args.replace(",", " ").split()]
    if not words:
        raise UserError("Which tag? `/incident tag database deploy`, `/incident untag deploy`.")
    bad = [w for w in words if not TAG.match(w)]
    if bad:
        shown = ", ".join(f"`{escape(w[:40])}`" for w in bad[:5])
        raise UserError(
            f"{shown}: a tag is a lowercase slug, letters, digits and dashes, up to 32 "
            "characters, such as `database` or `bad-deploy`."
        )
    if at_most is not None and len(words) > at_most:
        raise UserError(f"One tag at a time: `/incident untag {words[0]}`.")
    return list(dict.fromkeys(words))


async def change_tags(
    session: AsyncSession, incident_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> tuple[Incident, list[str]]:
    """Add or remove tags under a row lock (two people tagging at once both count).
    Returns the incident and the tags that actually changed."""
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise LookupError(incident_id)
    current = tags_of(incident)
    changed = [t for t in add if t not in current] + [t for t in remove if t in current]
    wanted = sorted({*current, *add} - set(remove))
    if len(wanted) > MAX_TAGS:
        raise UserError(
            f"An incident keeps at most {MAX_TAGS} tags; it has {len(current)}. "
            "`/incident untag <tag>` one first."
        )
    if changed:
        incident.tags = " ".join(wanted) or None
        incident.updated_at = utcnow()
        session.add(incident)
        await session.flush()
    return incident, changed
