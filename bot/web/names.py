"""People's display names for the archive's pages, kept NAMES_TTL_SECONDS in this process.

An incident's page names the authors of its timeline page, the owners of its action items,
who ticked, paged and acknowledged: dozens of people. Asking `users.info` for each on every
page view spent Slack's Tier 4 budget (100 a minute) in three views, then made each view wait
about 20 s for the pacer (bench.web_archive). A name is kept ten minutes (someone who is not
found is kept as such too), so a page asks only about people it has not named lately.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from bot.core.runtime import Runtime
from bot.slack.files import user_names

NAMES_TTL_SECONDS = 600.0
UNNAMED_TTL_SECONDS = 60.0  # not found, or Slack failed: asked again sooner
MAX_KEPT = 20_000

# (the runtime's instance, user) -> (display name or None, when asked)
_kept: dict[tuple[str, str], tuple[str | None, float]] = {}


def _fresh(entry: tuple[str | None, float] | None, now: float) -> bool:
    if entry is None:
        return False
    return now - entry[1] < (NAMES_TTL_SECONDS if entry[0] else UNNAMED_TTL_SECONDS)


async def display_names(rt: Runtime, user_ids: Iterable[str | None]) -> dict[str, str]:
    """User id -> display name, for those Slack names (as bot.slack.files.user_names)."""
    now = time.monotonic()
    wanted = {u for u in user_ids if u}
    known = {u: _kept.get((rt.instance, u)) for u in wanted}
    names = {u: e[0] for u, e in known.items() if e is not None and _fresh(e, now)}
    missing = wanted - names.keys()
    if missing:
        found = await user_names(rt, missing)
        if len(_kept) + len(missing) > MAX_KEPT:
            _kept.clear()
        for user in missing:
            _kept[(rt.instance, user)] = (found.get(user), now)
            names[user] = found.get(user)
    return {u: name for u, name in names.items() if name}
