"""Checks of Slack tokens pasted into the settings: the wrong kind of token, or the
placeholder from .env.example left in place."""

from __future__ import annotations

import re

# Values copied unchanged from .env.example or a tutorial ("xoxb-your-bot-token"). Only what
# a real token cannot contain: its parts are digits, then letters and digits without dashes.
_PLACEHOLDER = re.compile(r"your[-_]|<|>|changeme|placeholder|\.\.\.|x{6,}")
# What each kind of Slack token starts with, to name a token pasted into the wrong setting.
_TOKEN_KINDS = {
    "xoxb-": "a bot token (it goes in SLACK_BOT_TOKEN)",
    "xapp-": "an app-level token (it goes in SLACK_APP_TOKEN)",
    "xoxp-": "a user token (the bot needs its own token, not a person's)",
}


def token_problem(value: str, prefix: str, where: str) -> str | None:
    """Why `value` is not a usable token starting with `prefix`, or None."""
    if not value.startswith(prefix):
        kind = next((k for p, k in _TOKEN_KINDS.items() if value.startswith(p)), None)
        found = f"; this is {kind}" if kind else ""
        return f"must start with {prefix}{found}: {where}"
    if _PLACEHOLDER.search(value[len(prefix) :]):
        return f"is still the placeholder from .env.example: {where}"
    return None
