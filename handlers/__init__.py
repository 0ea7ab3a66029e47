"""Every Slack listener and subcommand, registered in one place, as in Slack's bolt-python
starter template.

Each domain keeps its own listeners (`bot/<domain>/listeners.py`, with `register(app)`) and its
subcommands (importing a commands module declares them). This package only puts them in order:
the imports below are the order of `/incident help` and `/postmortem help`.
"""

# ruff: noqa: I001, F401  (the order of these imports is the order of the help)
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.response.commands import declare, roles, status, updates
from bot.timeline import commands as timeline_commands
from bot.alerts import commands as alert_commands
from bot.checklists import commands as checklist_commands
from bot.postmortem.commands import analysis, actions
from bot.postmortem.followthrough import commands as followthrough_commands
from bot.postmortem.commands import form, document
from bot.learning.commands import search, tags, stats, publish
from bot.app import help

from bot.alerts import listeners as alerts
from bot.cadence import listeners as cadence
from bot.checklists import listeners as checklists
from bot.postmortem.followthrough import listeners as followthrough
from bot.postmortem import listeners as postmortem
from bot.learning import listeners as learning
from bot.response import listeners as response
from bot.timeline import listeners as timeline
from handlers import commands


def register_all(app: AsyncApp) -> None:
    # The timeline first: message events are the most frequent requests by far, matched first.
    for domain in (
        timeline,
        response,
        checklists,
        cadence,
        alerts,
        postmortem,
        followthrough,
        learning,
    ):
        domain.register(app)
    commands.register(app)
