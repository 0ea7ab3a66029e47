"""Subcommands of the learning domain. Importing a module registers its subcommands."""
