"""The incident record: its row and queries, finding the incident a channel belongs to, its
label, who may change it, the buttons below the card's owner (bot.response owns the card), and
the service catalog (the configuration file's `services` section)."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.incidents.queries` must not pull in the whole domain)."""
    from bot.incidents.services import SERVICES

    return Domain("incidents", config_section=SERVICES)
