"""`/postmortem actions` read line by line, exactly, for an item in each state: filed (with its
ticket's link), being filed (with and without trouble), refused, done, verified, waived,
overdue and due today; P0/P1 with and without acceptance criteria, P2/P3 without."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

from sqlmodel import select

from storage.models.postmortem import ActionItem
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    tickets,
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here

NO_CRITERIA = "      :warning: no acceptance criteria (add `Done when: …`)"
FOOTER = (
    "Close one with `/postmortem done <n> [how it was verified]`; "
    "`/postmortem verify <n> <how>` adds the verification later."
)


async def _added(bot: RunningBot, text: str) -> None:
    answer = await ask(bot, f"action {text}")
    assert answer.startswith(":white_check_mark:"), answer


async def _pending_with_error(bot: RunningBot, number: int) -> None:
    """Wait until item `number`'s ticket is pending again after a failed attempt."""
    deadline = time.monotonic() + 10
    while True:
        async with bot.rt.db.session() as session:
            item = (await session.exec(select(ActionItem).where(ActionItem.number == number))).one()
        found = [t for t in await tickets(bot) if t.action_item_id == item.id]
        if found and found[0].state == "pending" and found[0].error:
            return
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)


async def _set_due(bot: RunningBot, number: int, when: date) -> None:
    """An item that has become overdue (no command takes a due date in the past)."""
    async with bot.rt.db.session() as session:
        item = (await session.exec(select(ActionItem).where(ActionItem.number == number))).one()
        item.due_date = when
        session.add(item)


async def test_the_list_reads_each_state_line_by_line(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    today = utcnow().date()
    yesterday = (today - timedelta(days=1)).isoformat()
    # 1: P0 with criteria, filed.
    await _added(
        bot,
        f"P0 <@U222|bob> {due(3)} Block config deploys without a schema check. "
        "Done when: a bad config <fails> CI",
    )
    await wait_ticket_state(bot, fake_github, "filed")
    # 2: P1 without criteria, refused.
    fake_github.fail(422)
    await _added(bot, f"P1 <@U333|cy> {due(5)} Page on checkout 500s over 2 percent")
    await wait_ticket_state(bot, fake_github, "refused")
    # 3: P1 due today, its ticket waiting two minutes to be tried again.
    fake_github.fail(429, retry_after=120)
    await _added(bot, f"P1 <@U222|bob> {due(0)} Alert on <slow> queries & timeouts")
    await _pending_with_error(bot, 3)
    # 4: P2, no ticket, done (unverified).
    await _added(bot, f"P2 <@U444|dee> {due(7)} Add a runbook entry for cache warmups")
    await ask(bot, "done 4")
    # 5: P3 with criteria, verified.
    await _added(
        bot,
        f"P3 <@U333|cy> {due(8)} Write the warmup page. Done when: the runbook links it",
    )
    await ask(bot, "verify 5 the page is <b>linked</b>")
    # 6: P0 without criteria, filed, waived.
    await _added(bot, f"P0 <@U222|bob> {due(2)} Add a canary stage for config changes")
    await wait_ticket_state(bot, fake_github, "filed", count=2)
    await ask(bot, "waive 6 Hotfix for <b>payments</b>")
    # 7: P2, overdue.
    await _added(bot, f"P2 <@U555|eve> {due(1)} Remove the old checkout flag")
    await _set_due(bot, 7, today - timedelta(days=1))
    # 8: P3 filed on demand, its request still in flight.
    await _added(bot, f"P3 <@U333|cy> {due(9)} Archive the old dashboards")
    fake_github.delay(3)  # the list is read meanwhile
    count = len(fake_github.requests)
    await ask(bot, "ticket 8")
    await fake_github.wait_for(lambda: len(fake_github.requests) > count, what="ticket 8")

    listing = await ask(bot, "actions")
    assert listing.split("\n") == [
        "*Action items of incident #1:*",
        f"1. *P0* Block config deploys without a schema check. (<@U222>, due {due(3)}, open)"
        " · <https://github.com/acme/ops/issues/1|acme/ops#1>",
        "      Done when: a bad config &lt;fails&gt; CI",
        f"2. *P1* Page on checkout 500s over 2 percent (<@U333>, due {due(5)}, open)",
        NO_CRITERIA,
        "      :x: ticket not filed: GitHub said 422 Unprocessable Entity (Validation Failed; "
        "assignees invalid): check TICKET_USERS and the repository's labels",
        f"3. *P1* Alert on &lt;slow&gt; queries &amp; timeouts (<@U222>, due {due(0)}, open)",
        NO_CRITERIA,
        "      :hourglass: ticket being filed (GitHub answered 429; retrying)",
        f"4. *P2* Add a runbook entry for cache warmups (<@U444>, due {due(7)}, "
        ":ballot_box_with_check: done, unverified)",
        f"5. *P3* Write the warmup page. (<@U333>, due {due(8)}, "
        ":white_check_mark: verified: the page is &lt;b&gt;linked&lt;/b&gt;)",
        "      Done when: the runbook links it",
        f"6. *P0* Add a canary stage for config changes (<@U222>, due {due(2)}, "
        ":unlock: open, waived for deploys (Hotfix for &lt;b&gt;payments&lt;/b&gt;))"
        " · <https://github.com/acme/ops/issues/2|acme/ops#2>",
        NO_CRITERIA,
        f"7. *P2* Remove the old checkout flag (<@U555>, due {yesterday}, :warning: open, overdue)",
        f"8. *P3* Archive the old dashboards (<@U333>, due {due(9)}, open)",
        "      :hourglass: ticket being filed",
        FOOTER,
    ]


async def test_a_link_the_bot_cannot_read_a_label_from_shows_the_ticket_id(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    """GitHub Enterprise behind a path (`https://code.example.com/github/...`): the issue's
    address says no `owner/repo#n`, so the link reads the issue number GitHub gave."""
    fake_github.web_url = "https://code.example.com/github"
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    await _added(bot, f"P2 <@U222|bob> {due()} Add a runbook entry for cache warmups")
    await ask(bot, "ticket 1")
    await wait_ticket_state(bot, fake_github, "filed")
    listing = await ask(bot, "actions")
    assert listing.split("\n")[1] == (
        f"1. *P2* Add a runbook entry for cache warmups (<@U222>, due {due()}, open)"
        " · <https://code.example.com/github/acme/ops/issues/1|1>"
    )
