"""The postmortem: capturing the analysis, action-item rules, the blameless check, metrics, the
draft and the export.
"""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.postmortem.queries` must not pull in the whole domain)."""
    from bot.postmortem import listeners
    from bot.postmortem.commands import actions, analysis, document, form

    return Domain(
        "postmortem", register=listeners.register, commands=(analysis, actions, form, document)
    )
