"""Re-exported from the stand-in (bot/playground/standin/tiers.py)."""

from bot.playground.standin.tiers import LENIENCY, TierLimits

__all__ = ["LENIENCY", "TierLimits"]
