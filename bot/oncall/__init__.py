"""On call: schedules as code (the configuration file's `oncall` section), who is on call at an
instant (rules.py: overrides first, then the first layer that covers it, right across
daylight-saving changes), `/oncall`, changing it (overrides, take, swaps asked and answered
in a DM, each change recorded), who is on call on the incident card, your next shifts on App
Home, the calendar feeds, the fair share, and the handover DMs."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.oncall.rules` must not pull in the whole domain)."""
    from bot.oncall import (
        calendar_command,
        changes,
        commands,
        help_command,
        report_command,
        swap,
        swap_answers,
    )
    from bot.oncall.calendar_routes import add_calendar_routes
    from bot.oncall.card import oncall_card_blocks
    from bot.oncall.config import ONCALL
    from bot.oncall.handover import install_handovers
    from bot.oncall.nights import install_nights
    from bot.response.card import CARD_HOOKS

    return Domain(
        "oncall",
        register=swap_answers.register,  # Accept and Decline on a swap request
        # The order of `/oncall help`; help_command last: `/oncall help` ends the list.
        commands=(commands, changes, swap, calendar_command, report_command, help_command),
        installers=(install_nights, install_handovers),
        routes=(add_calendar_routes,),  # /oncall/<schedule>.ics, /oncall/people/<id>.ics
        hooks=(Hook(CARD_HOOKS, oncall_card_blocks),),  # who is on call on the incident card
        config_section=ONCALL,
    )
