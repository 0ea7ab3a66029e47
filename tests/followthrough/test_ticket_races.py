"""One action item's ticket asked for twice at the same moment (issue 23): `/postmortem ticket 1`
sent at once to two replicas, each with its own outbox polling the one database. Exactly one
issue in the fake GitHub (or Jira); both people get an answer that says it is being filed.

The guards: the unique constraint on `action_ticket.action_item_id` (two new pending tickets
cannot both be written: `enqueue_ticket`), the conditional `refile_ticket` (`UPDATE ... WHERE
state = 'refused'`: only one of two refiles makes the ticket due, so the second cannot make it
due again after a sender claimed it) and the sender's conditional claim (`claim_ticket`:
`UPDATE ... WHERE state = 'pending' AND next_attempt_at <= now`, one claimer per lease).
Without the claim's `next_attempt_at <= now` both replicas file the ticket (checked by
removing it).
"""

from __future__ import annotations

import asyncio

from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub
from tests.support.fake_jira import FakeJira
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    jira_fixture,  # noqa: F401
    jira_settings,
    tickets,
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here

ITEM = "Write the cache warmup runbook page"


async def _both_at_once(one: RunningBot, two: RunningBot, text: str) -> list[str]:
    """`/postmortem <text>` from two people, to two replicas, at the same moment."""
    count = len(one.fake.responses)
    await asyncio.gather(
        one.slack.command(
            text, command="/postmortem", user_id="U111", channel_id="C111", response_key="ra"
        ),
        two.slack.command(
            text, command="/postmortem", user_id="U222", channel_id="C111", response_key="rb"
        ),
    )
    await one.fake.wait_for_response(count + 2)
    return [r["text"] for r in one.fake.responses[count:]]


def _filing(answers: list[str], tracker: str) -> None:
    for answer in answers:
        assert (
            f"Filing action item #1 in {tracker}" in answer
            or f"Action item #1 is already being filed in {tracker}" in answer
        ), answers


async def _settled(fake: GitHubOrJira) -> None:
    """Long enough for a second filing by either replica's outbox (polls every second)."""
    await asyncio.sleep(2.5)
    assert len(fake.issues) == 1, fake.issues


GitHubOrJira = FakeGitHub | FakeJira


async def test_one_item_ticketed_twice_at_once_is_one_github_issue(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    one = await github_bot(start_bot, fake_github)
    two = await github_bot(start_bot, fake_github)
    await declare_here(one)
    await ask(one, f"action P3 <@U222|bob> {due()} {ITEM}")  # P3: filed only when asked
    # GitHub takes 1.5 s: the other replica's outbox polls while the ticket is in flight.
    fake_github.delay(1.5)
    _filing(await _both_at_once(one, two, "ticket 1"), "GitHub")
    await wait_ticket_state(one, fake_github, "filed")
    await _settled(fake_github)
    assert len(await tickets(one)) == 1


async def test_a_refused_ticket_refiled_twice_at_once_is_one_github_issue(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    one = await github_bot(start_bot, fake_github)
    two = await github_bot(start_bot, fake_github)
    await declare_here(one)
    fake_github.fail(422)
    await ask(one, f"action P1 <@U222|bob> {due()} {ITEM}")
    await wait_ticket_state(one, fake_github, "refused")
    fake_github.delay(1.5)
    _filing(await _both_at_once(one, two, "ticket 1"), "GitHub")
    [ticket] = await wait_ticket_state(one, fake_github, "filed")
    await _settled(fake_github)
    [ticket] = await tickets(one)
    assert ticket.state == "filed" and ticket.external_id == "1"


async def test_one_item_ticketed_twice_at_once_is_one_jira_issue(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    one = await start_bot(**jira_settings(fake_jira))
    two = await start_bot(**jira_settings(fake_jira))
    await declare_here(one)
    await ask(one, f"action P3 <@U222|bob> {due()} {ITEM}")
    fake_jira.delay(1.5)
    _filing(await _both_at_once(one, two, "ticket 1"), "Jira")
    await wait_ticket_state(one, fake_jira, "filed")
    await _settled(fake_jira)
