"""Subcommands of /postmortem. Importing a module registers its subcommands."""
