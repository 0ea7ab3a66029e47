"""Subcommands of /incident and /postmortem. Importing this package registers them all."""

from bot.commands import declare, help, timeline  # noqa: F401
