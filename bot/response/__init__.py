"""Running the response: declaring, roles, status and severity, resolve and reopen, handoffs,
status updates, and the incident card (its look, its refresh, its controls).
"""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.response.queries` must not pull in the whole domain)."""
    from bot.checklists.card_refresh import CARD_REFRESH_HOOKS
    from bot.response import listeners
    from bot.response.card import refresh_card_only
    from bot.response.commands import declare, roles, status, updates
    from bot.response.war_room import install_war_room

    return Domain(
        "response",
        register=listeners.register,
        commands=(declare, roles, status, updates),
        installers=(install_war_room,),
        hooks=(Hook(CARD_REFRESH_HOOKS, refresh_card_only),),  # checklists refresh the card
    )
