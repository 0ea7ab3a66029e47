"""Time to acknowledge over real HTTP: a page acknowledged shows in the postmortem draft (per
page, with who), in `/incident stats` (median and p90 of the period's pages) and in
`/oncall report` (page DMs and acknowledgements per person); one nobody acknowledged is
counted, not timed."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import StartBot
from tests.oncall.test_oncall_report import report
from tests.paging.helpers import escalations, press, start_paging_bot, told, wait_for_page
from tests.support.incident_steps import declare, run
from tests.support.learning_helpers import command, section_texts
from tests.support.postmortem_helpers import ask, uploaded


async def test_time_to_acknowledge_in_the_draft_the_stats_and_the_oncall_report(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="1m", second="1m")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    [page] = await wait_for_page(bot, "U222")
    await press(bot, page, "paging_acknowledge", "U222")
    await bot.fake.wait_for(lambda: told(bot, "U222"), what="the acknowledgement answered")
    [esc] = await escalations(bot)
    assert esc.acked_by == "U222" and esc.acked_at is not None
    # A second incident's page, not acknowledged: counted in the stats, not timed.
    second = await declare(bot, "Search is slow")
    await run(bot, "page checkout", second)
    await wait_for_page(bot, "U222", count=2)

    await ask(bot, "draft", channel_id=channel)
    draft = await uploaded(bot, ".md")
    line = next(li for li in draft.splitlines() if "Time to acknowledge" in li)
    assert line.startswith("- **Time to acknowledge** (page of checkout): ")
    assert ", by @" in line and "s, by" in line  # a duration in seconds, and who

    stats = "\n".join(section_texts(await command(bot, "stats", command="/incident")))
    assert "Time to acknowledge: median " in stats
    assert "(1), of 2 pages" in stats

    figures = await report(bot, "30d payments")
    assert "paged by escalation policy 2 times, acknowledged 1" in figures
