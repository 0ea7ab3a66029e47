"""Learning across incidents: search, similar incidents, tags, "Seen before", stats with charts,
the timeline picture, publishing, bulk export and import, drills."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.learning.queries` must not pull in the whole domain)."""
    from bot.learning.commands import publish, search, stats, tags
    from bot.learning.hooks import learning_draft_extras
    from bot.learning.search import add_similar_incidents
    from bot.postmortem.render.draft import DRAFT_HOOKS
    from bot.response.declare import DECLARED_HOOKS

    return Domain(
        "learning",
        commands=(search, tags, stats, publish),
        hooks=(
            Hook(DECLARED_HOOKS, add_similar_incidents),  # similar past incidents on the card
            Hook(DRAFT_HOOKS, learning_draft_extras),  # "Seen before", the timeline picture
        ),
    )
