"""The timeline: every message in a war room captured exactly once, backfill, key events, time
parsing, rendering.
"""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.timeline.queries` must not pull in the whole domain)."""
    from bot.timeline import commands, listeners
    from bot.timeline.backfill import install_backfill

    return Domain(
        "timeline",
        register=listeners.register,
        commands=(commands,),
        installers=(install_backfill,),
    )
