"""Follow-through (issue 12): action items become tickets, done means verified, owners are
nudged, and an open P0 blocks the next deploy."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.followthrough.queries` must not pull in the whole domain)."""
    from bot.followthrough import commands, listeners
    from bot.followthrough.nudges import install_nudges
    from bot.followthrough.outbox import install_outbox, queue_ticket
    from bot.followthrough.pruning import install_pruning
    from bot.followthrough.routes import add_routes
    from bot.postmortem.items import NEW_ACTION_HOOKS

    return Domain(
        "followthrough",
        register=listeners.register,
        commands=(commands,),
        installers=(install_outbox, install_nudges, install_pruning),
        routes=(add_routes,),  # /api/deploy-gate, /webhooks/github, /webhooks/jira
        hooks=(Hook(NEW_ACTION_HOOKS, queue_ticket),),  # a P0/P1 item gets its ticket queued
    )
