"""The real process: SIGTERM finishes the work in flight and exits cleanly."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from sqlmodel import select

from storage import Database
from storage.models.incidents import Incident
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.fake_slack import FakeSlack
from tests.support.process import bot_env, free_port, start_bot_process
from tests.support.slack_requests import SlackSender


async def test_sigterm_finishes_in_flight_work_then_exits_zero(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(database_url, fake_slack.base_url, port, LOG_FORMAT="json")
    log_path = tmp_path / "bot.log"
    proc = await start_bot_process(env, log_path)
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, fake_slack.response_url())
    try:
        # Slow Slack down so the declare is still running when SIGTERM arrives.
        fake_slack.fail("conversations.create", status=429, retry_after=2)
        resp = await sender.command("declare sev2 Stop me gently", trigger_id="111.111.xxx")
        assert resp.status == 200
        await fake_slack.wait_for_call("conversations.create")
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 30)
    finally:
        await sender.close()
        if proc.returncode is None:
            proc.kill()
    assert code == 0, log_path.read_text()
    # The declare finished during the graceful stop: channel created, declarer told.
    assert len(fake_slack.calls_to("conversations.create")) == 2
    assert "War room: <#C" in fake_slack.responses[0]["text"]
    db = Database(database_url)
    try:
        async with db.session() as session:
            [incident] = (await session.exec(select(Incident))).all()
        assert incident.channel_id is not None and incident.card_ts is not None
    finally:
        await db.dispose()
    log = log_path.read_text()
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log
    assert '"message": "stopping: finishing work in flight"' in log
    assert "still running after the stop" not in log  # the stop itself ended everything
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    declared = next(line for line in lines if line["message"] == "incident 1 declared")
    assert declared["incident"] == 1
    assert declared["request_id"] == "111.111.xxx"  # the trigger_id of the slash command
