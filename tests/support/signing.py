"""Re-exported from the playground (bot/playground/signing.py), which signs as Slack does."""

from bot.playground.signing import signed_headers, slack_signature

__all__ = ["signed_headers", "slack_signature"]
