"""On call: schedules as code (the configuration file's `oncall` section), who is on call at an
instant (rules.py: overrides first, then the first layer that covers it, right across
daylight-saving changes), and `/oncall`."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.oncall.rules` must not pull in the whole domain)."""
    from bot.oncall import commands
    from bot.oncall.config import ONCALL
    from bot.oncall.handover import install_handovers

    return Domain(
        "oncall", commands=(commands,), config_section=ONCALL, installers=(install_handovers,)
    )
