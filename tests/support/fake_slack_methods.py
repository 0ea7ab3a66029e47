"""Re-exported from the stand-in (bot/playground/standin/methods.py)."""

from bot.playground.standin.methods import Channel, SlackMethods

__all__ = ["Channel", "SlackMethods"]
