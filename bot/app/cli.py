"""`python -m bot [run|check] [--help] [--version]`: what the command line accepts."""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version


def sisyphus_version() -> str:
    try:
        return version("sisyphus")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "Sisyphus, an incident-response bot for Slack. Settings come from the environment "
            "or a .env file in the working directory (see .env.example and the README)."
        ),
        epilog="Exit codes: 0 stopped cleanly (or every check passed), 1 a check failed or "
        "the database could not be used, 2 a setting is missing, invalid or refused by Slack.",
    )
    parser.add_argument("--version", action="version", version=f"sisyphus {sisyphus_version()}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("run", help="run the bot until SIGINT or SIGTERM (the default)")
    commands.add_parser(
        "check",
        help="check the settings, the config file, the database, the tokens, the scopes and "
        "the broadcast channel; print one line per check and exit 0 only if all pass",
    )
    commands.add_parser(
        "demo",
        help="the playground: the bot with a local stand-in for Slack on 127.0.0.1, no "
        "workspace needed (see `python -m bot demo --help`)",
    )
    commands.add_parser(
        "oncall",
        help="oncall import pagerduty|opsgenie <schedule id>...: print those schedules as the "
        "oncall section of CONFIG_FILE (see `python -m bot oncall import --help`)",
    )
    commands.add_parser(
        "status",
        help="status export <folder>: write the public status page, its JSON and its feed as "
        "static files (see `python -m bot status --help`)",
    )
    commands.add_parser(
        "mcp",
        help="serve the MCP tools over stdio for a local assistant, reading as the API token "
        "in MCP_TOKEN (unset: public incidents only); see docs/api.md",
    )
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args
