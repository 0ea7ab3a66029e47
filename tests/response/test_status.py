"""Status, severity, resolve and reopen through `/incident`, and every refusal."""

from __future__ import annotations

from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import declare, entries, incident, posts_in, run


async def test_status_changes_are_shown_recorded_and_stamp_mitigation(bot: RunningBot) -> None:
    channel = await declare(bot)
    answer = await run(bot, "status identified", channel)
    assert "Status set to *identified*" in answer["text"]
    assert "| identified |" in bot.fake.channels[channel].topic
    assert "identified" in str(bot.fake.calls_to("chat.update")[-1]["blocks"])
    assert (
        "set the status to *identified* (was investigating)" in posts_in(bot, channel)[-1]["text"]
    )
    assert (await incident(bot)).mitigated_at is None

    await run(bot, "status MITIGATED", channel)
    mitigated = (await incident(bot)).mitigated_at
    assert mitigated is not None
    await run(bot, "status monitoring", channel)
    assert (await incident(bot)).mitigated_at == mitigated, "the first mitigation counts"
    kinds = [e.text for e in await entries(bot, "status_change")]
    assert kinds == [
        "<@U111> changed the status from investigating to identified",
        "<@U111> changed the status from identified to mitigated",
        "<@U111> changed the status from mitigated to monitoring",
    ]


async def test_severity_changes(bot: RunningBot) -> None:
    channel = await declare(bot)
    await run(bot, "severity sev1", channel)
    assert (await incident(bot)).severity == "sev1"
    assert bot.fake.channels[channel].topic.startswith("SEV1 |")
    await run(bot, "severity 3", channel)
    assert (await incident(bot)).severity == "sev3"
    [first, second] = await entries(bot, "severity_change")
    assert "from SEV2 to SEV1" in first.text and "from SEV1 to SEV3" in second.text


async def test_status_and_severity_refusals(bot: RunningBot) -> None:
    channel = await declare(bot)
    cases = {
        "status": "Which status?",
        "status fixed": "`fixed` is not a status",
        "status <!channel>": "`&lt;!channel&gt;` is not a status",
        "status resolved": "use `/incident resolve [summary]`",
        "status investigating": "is already *investigating*",
        "severity": "`nothing` is not a severity",
        "severity sev9": "`sev9` is not a severity",
        "severity sev2": "is already *SEV2*",
    }
    for text, expected in cases.items():
        answer = await run(bot, text, channel)
        assert expected in answer["text"], (text, answer["text"])
    for text in ("status identified", "severity sev1", "resolve", "reopen"):
        answer = await run(bot, text, "C111")
        assert "This isn't an incident channel" in answer["text"], text
    assert await entries(bot, "status_change") == []


async def test_resolve_sends_the_all_clear_and_reopen_brings_it_back(bot: RunningBot) -> None:
    channel = await declare(bot)
    answer = await run(bot, "resolve Rolled back deploy 4812 &lt;!here&gt;", channel)
    assert "is resolved" in answer["text"]
    resolved = await incident(bot)
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    assert resolved.mitigated_at == resolved.resolved_at
    assert resolved.next_prompt_at is None
    assert resolved.resolution_summary == "Rolled back deploy 4812 <!here>"
    here = posts_in(bot, channel)[-1]
    assert "All clear" in str(here["blocks"]) and "&lt;!here&gt;" in str(here["blocks"])
    company = posts_in(bot, BROADCAST)[-1]
    assert "All clear" in str(company["blocks"]) and "Rolled back deploy 4812" in str(
        company["blocks"]
    )
    card = bot.fake.calls_to("chat.update")[-1]
    assert "resolved" in card["text"] and "post_status_update" not in str(card["blocks"])

    for text, expected in {
        "resolve": "is already resolved",
        "status identified": "is resolved. Reopen it first",
        "commander <@U222>": "is resolved. Reopen it first",
        "cadence 30m": "is resolved. Reopen it first",
    }.items():
        refused = await run(bot, text, channel)
        assert expected in refused["text"], (text, refused["text"])

    await run(bot, "reopen", channel)
    reopened = await incident(bot)
    assert reopened.status == "investigating" and reopened.resolved_at is None
    assert reopened.next_prompt_at is not None and reopened.unanswered_prompts == 0
    assert "reopened" in posts_in(bot, BROADCAST)[-1]["text"]
    again = await run(bot, "reopen", channel)
    assert "nothing to reopen" in again["text"]
    texts = [e.text for e in await entries(bot, "status_change")]
    assert texts == [
        "<@U111> resolved the incident: Rolled back deploy 4812 <!here>",
        "<@U111> reopened the incident",
    ]


async def test_a_private_incident_resolves_without_telling_the_company(bot: RunningBot) -> None:
    await bot.slack.command("declare --private sev2 Payroll leak", response_key="p")
    await bot.fake.wait_for_response()
    [created] = bot.fake.calls_to("conversations.create")
    channel = next(c.id for c in bot.fake.channels.values() if c.name == created["name"])
    await run(bot, "resolve contained", channel)
    assert "All clear" in str(posts_in(bot, channel)[-1]["blocks"])
    assert posts_in(bot, BROADCAST) == []


async def test_guests_cannot_change_the_incident(bot: RunningBot) -> None:
    channel = await declare(bot)
    bot.fake.add_user("UGUEST", is_restricted=True)
    for text in ("status identified", "severity sev1", "resolve", "commander <@UGUEST>"):
        answer = await run(bot, text, channel, user="UGUEST")
        assert "for full members of the workspace" in answer["text"], text
    found = await incident(bot)
    assert (found.status, found.severity, found.commander_id) == ("investigating", "sev2", "U111")
