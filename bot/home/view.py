"""App Home: each domain's section in turn (the open incidents with your role and a "Declare
incident" button, your next on-call shifts, then the action items you own). Published with
views.publish when you open the Home tab, and again (at most once a minute, only when it
changed) by bot/home/refresh.py.

Within Block Kit's limits for a Home view: at most 100 blocks, 3000 characters a section.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.core.runtime import Runtime
from bot.followthrough.home_section import home_section as action_items_section
from bot.home.queries import home_opened
from bot.incidents.home_blocks import home_section as incidents_section
from bot.oncall.home import home_section as oncall_section
from storage.types import utcnow

MAX_BLOCKS = 100
Section = Callable[[Runtime, str, datetime], Awaitable[list[dict[str, Any]]]]
# From the top of the tab down. A section keeps itself short (the incidents' at most 23 blocks,
# your next on-call shifts' 3, the action items' 68), so that together they stay within
# MAX_BLOCKS.
SECTIONS: list[Section] = [incidents_section, oncall_section, action_items_section]


async def build_home(rt: Runtime, user_id: str, now: datetime) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for section in SECTIONS:
        blocks += await section(rt, user_id, now)
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def digest(view: dict[str, Any]) -> str:
    """What the view says, in 64 characters: republished only when this changes."""
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


async def publish_home(rt: Runtime, user_id: str, now: datetime | None = None) -> None:
    """Publish the Home tab now (it was opened, or changed under the user's finger), and
    remember who looks at it."""
    now = now or utcnow()
    view = await build_home(rt, user_id, now)
    await rt.client.views_publish(user_id=user_id, view=view)
    async with rt.db.session() as session:
        await home_opened(session, user_id, now, digest(view))
