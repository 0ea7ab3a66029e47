"""`python -m bot check` with Sign in with Slack set: Slack's signing keys read."""

from __future__ import annotations

from pathlib import Path

from tests.app.test_check_command import full_env, run_check
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_openid import CLIENT_ID, CLIENT_SECRET, FakeSlackOpenID
from tests.support.web_helpers import SESSION_SECRET


async def test_check_reads_the_signing_keys(
    database_url: str, fake_slack: FakeSlack, provider: FakeSlackOpenID, tmp_path: Path
) -> None:
    env = full_env(
        database_url,
        fake_slack,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        WEB_SESSION_SECRET=SESSION_SECRET,
        WEB_BASE_URL="https://sisyphus.example.com",
        SLACK_OPENID_URL=provider.openid_url,
    )
    _, lines = await run_check(env, tmp_path)
    assert (
        "[ok] sign in with slack: Slack's signing keys read; redirect URL to register: "
        "https://sisyphus.example.com/auth/callback"
    ) in lines, lines
    await provider.stop()
    _, lines = await run_check(env, tmp_path)
    assert any(line.startswith("[FAIL] sign in with slack: Slack's signing keys") for line in lines)
