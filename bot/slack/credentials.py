"""Telling a refused token (a setting to fix) from Slack being away (weather to wait out)."""

from __future__ import annotations

from collections.abc import Iterator

from bot.core.errors import RefusedSetting
from bot.slack.client import slack_error_code

# Slack error codes that mean "this token will never work as it is".
REFUSED_CODES = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)

_WHERE = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token from your app's OAuth & Permissions page",
    "SLACK_APP_TOKEN": (
        "create an app-level token with connections:write under your app's Basic Information "
        "→ App-Level Tokens"
    ),
}
_WHY = {
    "account_inactive": "the app's bot user is deactivated or its workspace is gone; reinstall "
    "the app, then ",
    "token_revoked": "the app was uninstalled or the token revoked; reinstall the app, then ",
    "token_expired": "the token expired (token rotation is on); turn token rotation off, then ",
    "not_allowed_token_type": "this kind of token cannot do this; ",
}


def refused_line(setting: str, code: str) -> str:
    """The one line that tells an operator which setting Slack refused and what to do."""
    return f"{setting} was refused by Slack ({code}): {_WHY.get(code, '')}{_WHERE[setting]}"


def refusal(exc: BaseException, setting: str) -> RefusedSetting | None:
    """A RefusedSetting when `exc` is Slack refusing the token in `setting`, else None."""
    code = slack_error_code(exc)
    if code in REFUSED_CODES:
        return RefusedSetting(refused_line(setting, code))
    return None


def backoff(first: float, cap: float = 60.0) -> Iterator[float]:
    """Waits between attempts: `first`, then doubling, never more than `cap`."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)
