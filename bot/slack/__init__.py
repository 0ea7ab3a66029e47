"""Slack plumbing: the Web API client and identity, posting, files, the command grammar, answering
people, text.
"""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.slack.queries` must not pull in the whole domain)."""
    from bot.slack import help
    from bot.slack.access import install_access
    from bot.slack.identity import install_identity

    return Domain("slack", commands=(help,), installers=(install_access, install_identity))
