"""The status-update cadence: the reminder clock (only this package writes it), claiming and
posting reminders, snoozing.
"""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.cadence.queries` must not pull in the whole domain)."""
    from bot.cadence import listeners
    from bot.cadence.fatigue import install_fatigue
    from bot.cadence.scheduler import install_cadence

    return Domain(
        "cadence", register=listeners.register, installers=(install_cadence, install_fatigue)
    )
