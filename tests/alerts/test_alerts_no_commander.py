"""An incident declared from an alert has no commander: its reminders say so, ping nobody."""

from __future__ import annotations

from tests.conftest import StartBot
from tests.support.alert_helpers import ALERT_SETTINGS, firing, post_alert, wait_handled
from tests.support.incident_steps import incident, wait_for_prompts


async def test_reminders_without_a_commander_ask_someone_to_take_command(
    start_bot: StartBot,
) -> None:
    bot = await start_bot(update_interval_seconds=1, **ALERT_SETTINGS)
    assert (await post_alert(bot, firing()))[0] == 200
    await wait_handled(bot)
    declared = await incident(bot)
    assert declared.commander_id == "" and declared.channel_id
    [prompt] = await wait_for_prompts(bot, declared.channel_id, 1)
    text = prompt["text"] + str(prompt["blocks"])
    assert "Nobody has taken command yet." in text
    assert "<@>" not in text
