"""Action items become tickets at once, exactly once, through the outbox (GitHub and Jira)."""

from __future__ import annotations

import asyncio
import base64

from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub
from tests.support.fake_jira import FakeJira
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    items,
    jira_fixture,  # noqa: F401
    jira_settings,
    tickets,
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here


async def _with_factor(bot: RunningBot) -> None:
    await declare_here(bot, "Checkout <b>down</b> & slow")
    answer = await ask(bot, "factor technical Slow queries were never alerted on")
    assert answer.startswith(":white_check_mark:")


async def test_a_p1_item_is_filed_at_once_with_everything_a_ticket_needs(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await _with_factor(bot)
    # A P2 is not filed by itself; the P1 after it is.
    await ask(bot, f"action P2 <@U333|cy> {due()} Add a runbook entry for cache warmups")
    answer = await ask(
        bot,
        f"action P1 <@U222|bob> {due(7)} F1: alert on queries slower than 5s #observability. "
        "Done when: the alert fires in the staging drill",
    )
    assert answer.startswith(":white_check_mark: Action item #2")
    [request] = await fake_github.wait_for(lambda: fake_github.requests, what="the issue")
    await wait_ticket_state(bot, fake_github, "filed")
    body = request.body
    assert request.path == "/repos/acme/ops/issues"
    assert request.headers["Authorization"] == "Bearer ghp_test_token"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert body["title"] == "[P1] alert on queries slower than 5s #observability."
    assert body["labels"] == ["incident-action", "P1"]
    assert "assignees" not in body  # U222 is not mapped in TICKET_USERS
    text = body["body"]
    for part in (
        "Action item #2 of incident #1: Checkout <b>down</b> & slow (SEV2)",
        "**Owner:** u222 (Slack U222)",
        f"**Due:** {due(7)}",
        "### Acceptance criteria\n\nthe alert fires in the staging drill",
        "- F1 (technical): Slow queries were never alerted on",
        "War room: https://subarachnoid.slack.com/archives/C111",
    ):
        assert part in text, (part, text)

    [p2, p1] = await items(bot)
    # The marker a later attempt finds this issue by names this very item.
    assert text.endswith(f"<!-- sisyphus-action-item:{p1.id} -->") and p1.id == 2, text
    assert p1.criteria == "the alert fires in the staging drill"
    assert p1.prevention_class == "observability"
    assert p1.ticket_url == "https://github.com/acme/ops/issues/1"
    assert p2.ticket_url is None
    [ticket] = await tickets(bot)
    assert ticket.action_item_id == p1.id and ticket.external_id == "1"
    listing = await ask(bot, "actions")
    assert "<https://github.com/acme/ops/issues/1|acme/ops#1>" in listing
    assert "Done when: the alert fires in the staging drill" in listing


async def test_a_500_then_success_makes_one_ticket(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    fake_github.fail(500)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_github, "filed")
    assert len(fake_github.requests) == 2
    assert len(fake_github.issues) == 1
    [ticket] = await tickets(bot)
    assert ticket.attempts == 2


async def test_a_429_waits_for_retry_after(start_bot: StartBot, fake_github: FakeGitHub) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    fake_github.fail(429, retry_after=2)
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_github, "filed")
    first, second = fake_github.requests
    assert second.at - first.at >= 1.9
    assert len(fake_github.issues) == 1


async def test_a_refusal_is_shown_and_said_once_and_the_item_can_be_filed_again(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    fake_github.fail(404)
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_github, "refused")
    said = await bot.fake.wait_for(
        lambda: [
            p for p in bot.fake.calls_to("chat.postMessage") if "not filed" in p.get("text", "")
        ],
        what="the refusal in the war room",
    )
    assert said[0]["channel"] == "C111"
    assert "GitHub said 404 Not Found" in said[0]["text"]
    assert "check GITHUB_REPO" in said[0]["text"]
    listing = await ask(bot, "actions")
    assert "ticket not filed: GitHub said 404 Not Found" in listing
    assert "check GITHUB_REPO" in listing

    answer = await ask(bot, "ticket 1")
    assert "filing" in answer.lower(), answer
    await wait_ticket_state(bot, fake_github, "filed")
    assert len(fake_github.issues) == 1
    refusals = [
        p for p in bot.fake.calls_to("chat.postMessage") if "not filed" in p.get("text", "")
    ]
    assert len(refusals) == 1
    again = await ask(bot, "ticket 1")
    assert "already" in again and "acme/ops#1" in again


async def test_ticket_files_any_priority_on_demand_and_refuses_bad_input(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    await ask(bot, f"action P3 <@U222|bob> {due()} Write the cache warmup runbook page")
    assert "no action item #7" in await ask(bot, "ticket 7")
    assert "Give the number" in await ask(bot, "ticket seven")
    await ask(bot, "ticket 1")
    await wait_ticket_state(bot, fake_github, "filed")
    assert fake_github.requests[0].body["title"].startswith("[P3] ")


async def test_two_replicas_file_one_ticket_per_item(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    first = await github_bot(start_bot, fake_github)
    await github_bot(start_bot, fake_github)  # polls the same database every second
    await declare_here(first)
    fake_github.fail(500)  # due again a second later, when both replicas poll
    await ask(first, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(first, fake_github, "filed")
    await ask(first, f"action P1 <@U333|cy> {due()} Page on checkout 500 rate over 2 percent")
    await wait_ticket_state(first, fake_github, "filed", count=2)
    await asyncio.sleep(0)  # the fake records before it answers: both answers are counted
    assert len(fake_github.issues) == 2
    assert len(fake_github.requests) == 3  # the failed one, then one each


async def test_tickets_none_files_nothing(start_bot: StartBot) -> None:
    bot = await start_bot()
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    assert await tickets(bot) == []
    assert "tickets are off" in (await ask(bot, "ticket 1")).lower()


async def test_jira_gets_an_adf_description_labels_due_date_and_assignee(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(**jira_settings(fake_jira, ticket_users="U222=5b10ac8d82e05b22cc7d4ef5"))
    await declare_here(bot)
    await ask(
        bot,
        f"action P0 <@U222|bob> {due(3)} Block config deploys without a schema check. "
        "Done when: a bad config fails CI",
    )
    [request] = await fake_jira.wait_for(lambda: fake_jira.requests, what="the Jira issue")
    [ticket] = await wait_ticket_state(bot, fake_jira, "filed")
    auth = base64.b64encode(b"bot@example.com:jira-token").decode()
    assert request.headers["Authorization"] == f"Basic {auth}"
    fields = request.body["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "[P0] Block config deploys without a schema check."
    assert fields["labels"] == ["incident-action", "P0"]
    assert fields["duedate"] == due(3)
    assert fields["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4ef5"}
    assert fields["description"]["type"] == "doc"
    assert "a bad config fails CI" in str(fields["description"])
    assert ticket.external_id == "OPS-1"
    assert ticket.url == f"{fake_jira.url}/browse/OPS-1"


async def test_jira_refusing_the_credentials_names_the_settings(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(**jira_settings(fake_jira, jira_api_token="wrong-token"))
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due()} Block config deploys without a schema check")
    [ticket] = await wait_ticket_state(bot, fake_jira, "refused")
    assert ticket.error is not None
    assert "Jira said 401 Unauthorized" in ticket.error
    assert "check JIRA_EMAIL and JIRA_API_TOKEN" in ticket.error
    assert fake_jira.issues == {}


async def test_a_ticket_made_after_its_claimer_gave_up_waiting_is_not_filed_again(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    """GitHub takes longer than half the lease, so the claimer gives up, but the issue is
    made anyway: the next attempt finds it by its marker instead of filing a second one."""
    bot = await github_bot(start_bot, fake_github, ticket_claim_lease_seconds=2)
    await declare_here(bot)
    fake_github.delay(1.5)  # the claimer waits 1 s (half the lease); the issue still lands
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await fake_github.wait_for(lambda: fake_github.issues, what="the slow issue")
    fake_github.delay(0)
    [ticket] = await wait_ticket_state(bot, fake_github, "filed")
    assert len(fake_github.requests) == 1 and len(fake_github.issues) == 1
    assert fake_github.lists  # looked before filing again
    assert ticket.external_id == "1" and ticket.attempts == 2


async def test_jira_too_finds_a_ticket_made_after_its_claimer_gave_up(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(**jira_settings(fake_jira, ticket_claim_lease_seconds=2))
    await declare_here(bot)
    fake_jira.delay(1.5)
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await fake_jira.wait_for(lambda: fake_jira.issues, what="the slow issue")
    fake_jira.delay(0)
    [ticket] = await wait_ticket_state(bot, fake_jira, "filed")
    assert len(fake_jira.requests) == 1 and list(fake_jira.issues) == ["OPS-1"]
    assert 'labels = "incident-action"' in fake_jira.searches[0]["jql"]
    assert ticket.external_id == "OPS-1" and ticket.attempts == 2


async def test_the_ticket_names_people_as_slack_shows_them(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    """The owner, in the ticket and where the item and its factors mention them, is written as
    Slack shows them: the display name, else the real name, else the handle, else the user id
    (someone users.info does not know)."""
    bot = await github_bot(start_bot, fake_github)
    bot.fake.add_user("U444", real_name="Dana Real", profile={"display_name": "dana"})
    bot.fake.add_user("U555", real_name="Eve Real", profile={"display_name": ""})
    await declare_here(bot)
    answer = await ask(bot, "factor technical <@U444> was paged twice for one alert")
    assert answer.startswith(":white_check_mark:"), answer
    for owner in ("U444", "U555", "U222"):
        answer = await ask(
            bot,
            f"action P1 <@{owner}> {due()} F1: <@{owner}> to dedupe the pages of one alert. "
            f"Done when: <@{owner}> sees one page per alert",
        )
        assert answer.startswith(":white_check_mark:"), answer
    requests = await fake_github.wait_for(
        lambda: fake_github.requests if len(fake_github.requests) == 3 else None, what="3 issues"
    )
    by_item = {r.body["body"].split(" of incident")[0]: r.body for r in requests}
    at = "@\u200d"  # a mention made inert: it pings nobody on GitHub
    for n, name, user in ((1, "dana", "U444"), (2, "Eve Real", "U555"), (3, "u222", "U222")):
        body = by_item[f"Action item #{n}"]
        assert body["title"] == f"[P1] {at}{name} to dedupe the pages of one alert.", body
        for part in (
            f"- **Owner:** {name} (Slack {user})",
            f"### Acceptance criteria\n\n{at}{name} sees one page per alert",
            f"### Description\n\n{at}{name} to dedupe the pages of one alert.",
        ):
            assert part in body["body"], (part, body["body"])
    # The factor names its person as the first ticket's owner was named; the others' tickets
    # look up only their own people.
    assert f"- F1 (technical): {at}dana was paged twice" in by_item["Action item #1"]["body"]
    assert f"- F1 (technical): {at}U444 was paged twice" in by_item["Action item #2"]["body"]
