"""Subcommands of /incident that run the response. Importing a module registers its subcommands."""
