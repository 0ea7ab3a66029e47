"""Re-exported from the stand-in (bot/playground/standin/realities.py)."""

from bot.playground.standin.realities import NEEDS_MEMBER, SEES_PRIVATE, WRITES, SlackRealities

__all__ = ["NEEDS_MEMBER", "SEES_PRIVATE", "WRITES", "SlackRealities"]
