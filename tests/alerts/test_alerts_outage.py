"""The database away when an alert comes: 503 so Alertmanager sends it again; then stored."""

from __future__ import annotations

import pytest

from tests.conftest import StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    cards_in,
    firing,
    groups,
    post_alert,
    with_severity,
)
from tests.support.databases import PG_HOST, PG_PORT
from tests.support.tcp_proxy import TcpProxy


# An embedded SQLite file cannot become unreachable; this is about a database server.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_alert_that_cannot_be_stored_is_refused_with_503(
    start_bot: StartBot, database_url: str
) -> None:
    proxy = TcpProxy(PG_HOST, PG_PORT)
    await proxy.start()
    try:
        url = database_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
        bot = await start_bot(database_url=url, **ALERT_SETTINGS)
        bot.fake.add_channel(ALERT_CHANNEL, "alerts")
        payload = with_severity(firing(), "warning")

        await proxy.cut()
        status, reason = await post_alert(bot, payload)
        assert status == 503 and "retry" in reason
        assert cards_in(bot, ALERT_CHANNEL) == []

        await proxy.start()
        status, _ = await post_alert(bot, payload)  # Alertmanager's retry
        assert status == 200
        await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), timeout=20, what="card")
        [group] = await groups(bot)
        assert group.deliveries == 1  # the refused send was not stored
    finally:
        await proxy.cut()
