"""The incident record: its row and queries, finding the incident a channel belongs to, its card."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.incidents.queries` must not pull in the whole domain)."""
    return Domain("incidents")
