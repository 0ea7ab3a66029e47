"""Subcommands of /incident and /postmortem. Importing this package registers them all."""

from bot.commands import declare, help, roles, status, updates  # noqa: F401
