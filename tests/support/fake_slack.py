"""The tests' fake Slack Web API: the product's stand-in (bot/playground/standin/api.py), the
same one the playground serves, so the two cannot drift."""

from bot.playground.standin.api import (
    MESSAGE_METHODS,
    RATE_LIMITED_BODY,
    VIEW_METHODS,
    Call,
    Failure,
    FakeSlack,
    manifest_bot_scopes,
)

__all__ = [
    "MESSAGE_METHODS",
    "RATE_LIMITED_BODY",
    "VIEW_METHODS",
    "Call",
    "Failure",
    "FakeSlack",
    "manifest_bot_scopes",
]
