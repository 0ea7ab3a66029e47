"""Requests into /slack/events must be signed by Slack and fresh; others get 401 and do nothing."""

from __future__ import annotations

import time

from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import RunningBot
from tests.support.signing import signed_headers, slack_signature
from tests.support.slack_requests import load_payload


def test_signature_matches_slacks_published_vector() -> None:
    vector = load_payload("slash_command_signature_vector.slackdocs.json")
    assert (
        slack_signature(
            vector["signing_secret"], vector["x_slack_request_timestamp"], vector["raw_body"]
        )
        == vector["x_slack_signature"]
    )


async def _post(bot: RunningBot, body: str, headers: dict[str, str]) -> int:
    async with bot.slack.session.post(bot.slack.url, data=body.encode(), headers=headers) as r:
        return r.status


async def _nothing_happened(bot: RunningBot) -> None:
    async with bot.rt.db.session() as session:
        assert (await session.exec(select(Incident))).all() == []
    assert bot.fake.calls_to("conversations.create") == []
    assert bot.fake.responses == []


async def test_wrong_signature_is_refused(bot: RunningBot) -> None:
    body = bot.slack.command_body("declare sev1 Forged")
    headers = signed_headers("not-the-secret", body, "application/x-www-form-urlencoded")
    assert await _post(bot, body, headers) == 401
    await _nothing_happened(bot)


async def test_stale_timestamp_is_refused(bot: RunningBot) -> None:
    body = bot.slack.command_body("declare sev1 Replayed")
    old = int(time.time()) - 6 * 60
    headers = signed_headers(bot.slack.secret, body, "application/x-www-form-urlencoded", old)
    assert await _post(bot, body, headers) == 401
    await _nothing_happened(bot)


async def test_missing_headers_are_refused(bot: RunningBot) -> None:
    body = bot.slack.command_body("declare sev1 Unsigned")
    full = signed_headers(bot.slack.secret, body, "application/x-www-form-urlencoded")
    for missing in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        headers = {k: v for k, v in full.items() if k != missing}
        assert await _post(bot, body, headers) == 401
    assert await _post(bot, body, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
    await _nothing_happened(bot)


async def test_url_verification_challenge_is_answered(bot: RunningBot) -> None:
    import json

    payload = load_payload("url_verification.slackdocs.json")
    body = json.dumps(payload)
    headers = signed_headers(bot.slack.secret, body, "application/json")
    async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as r:
        assert r.status == 200
        assert (await r.json())["challenge"] == payload["challenge"]
