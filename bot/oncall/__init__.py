"""On call: schedules as code (the configuration file's `oncall` section), who is on call at an
instant (rules.py: overrides first, then the first layer that covers it, right across
daylight-saving changes), `/oncall`, and changing it: overrides, take, swaps (asked and
answered in a DM), each change recorded."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.oncall.rules` must not pull in the whole domain)."""
    from bot.oncall import changes, commands, help_command, swap, swap_answers
    from bot.oncall.config import ONCALL

    return Domain(
        "oncall",
        register=swap_answers.register,  # Accept and Decline on a swap request
        commands=(commands, changes, swap, help_command),  # the order of `/oncall help`
        config_section=ONCALL,
    )
