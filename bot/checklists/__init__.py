"""Process at 3am: checklists (the configuration file's `checklists` section, or
CHECKLISTS_FILE), runbook links, and how we know it is fixed."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.checklists.queries` must not pull in the whole domain)."""
    from bot.checklists import commands, listeners
    from bot.checklists.config import CHECKLISTS

    return Domain(
        "checklists",
        register=listeners.register,
        commands=(commands,),
        config_section=CHECKLISTS,
    )
