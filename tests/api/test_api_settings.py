"""API_TOKENS is checked at start-up, each problem one line naming the token, never its value;
the log redacts the tokens."""

from __future__ import annotations

import pytest

from bot.core.api_settings import parse_api_tokens
from bot.core.settings import SettingsError, load_settings, secret_values

BASE = {
    "slack_bot_token": "xoxb-test",
    "slack_signing_secret": "s" * 32,
    "_env_file": None,
}
GOOD = "a" * 32


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("dash=short", "API_TOKENS token dash must be at least 32 characters without spaces"),
        (GOOD, "API_TOKENS entry 1 must be name=token"),
        (f"dash={GOOD},dash={'b' * 32}", "API_TOKENS token dash is named twice"),
        (f"one={GOOD},two={GOOD}", "API_TOKENS token two is the same as another token"),
        (f"me={GOOD}@alice", "API_TOKENS token me: after @ must come a Slack user ID"),
        (f"bad name={GOOD}", "API_TOKENS entry 1 must be name=token"),
    ],
)
def test_bad_tokens_are_refused_in_one_line(value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**BASE, api_tokens=value)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(problem)
    assert GOOD not in caught.value.problems[0] and "short" not in caught.value.problems[0]


def test_good_tokens_and_their_redaction() -> None:
    settings = load_settings(**BASE, api_tokens=f" dash={GOOD} , me={'b' * 40}@U0123ABCD ")
    tokens = settings.api_token_list()
    assert [(t.name, t.user_id) for t in tokens] == [("dash", None), ("me", "U0123ABCD")]
    assert GOOD not in repr(tokens)
    secrets = secret_values(settings)
    assert GOOD in secrets and "b" * 40 in secrets
    assert parse_api_tokens("") == () and load_settings(**BASE).api_token_list() == ()
