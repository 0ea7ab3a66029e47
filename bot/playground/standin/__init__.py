"""The Slack Web API stand-in: `FakeSlack` (api.py) with its methods, realities, rate tiers and
Block Kit limits, each in its own module."""

from bot.playground.standin.api import FakeSlack

__all__ = ["FakeSlack"]
