"""Subcommands of /incident and /postmortem. Importing this package registers them all.

The import order is the order of `help`, so it is kept by hand.
"""

# isort: off
from bot.commands import declare  # noqa: F401
from bot.commands import roles, status, updates  # noqa: F401
from bot.commands import timeline  # noqa: F401
from bot.alerts import commands as alert_commands  # noqa: F401  (/incident page)
from bot.commands import postmortem_capture, postmortem_actions  # noqa: F401
from bot.commands import postmortem_form, postmortem_document  # noqa: F401
from bot.commands import help  # noqa: F401

# isort: on
