"""What people typed and the bot quotes back is shown as typed: no live `<!channel>`, no
`&amp;lt;` from escaping Slack's escaping twice, and mentions of people still working."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.support.incident_steps import key, run
from tests.support.timeline_helpers import WAR_ROOM, declare_here


async def test_refusals_quote_the_input_as_typed_and_harmless(bot: RunningBot) -> None:
    await declare_here(bot)
    # Slack sends special mentions raw and escapes the `&<>` a person types.
    cases = [
        ("log <!channel> x", "`&lt;!channel&gt;` is not a time I can read"),
        ("log 2026-01-01 <!here>", "`&lt;!here&gt;` is not a time I can read"),
        ("<!channel>", "I don't know `/incident &lt;!channel&gt;`"),
        ("declare --<!here> Title", "`--&lt;!here&gt;` is not an option"),
        ("role &lt;b&gt; <@U222|dana>", "`&lt;b&gt;` is not a role"),
        ("status a&amp;b", "`a&amp;b` is not a status"),
        ("severity &lt;x&gt;", "`&lt;x&gt;` is not a severity"),
        ("cadence &lt;x&gt;", "I can't read `&lt;x&gt;` as a duration"),
        ("timeline &lt;x&gt;", "`&lt;x&gt;` is not a number of entries"),
    ]
    for text, expected in cases:
        answer = await run(bot, text, WAR_ROOM)
        assert expected in answer["text"], (text, answer["text"])
        assert "<!" not in answer["text"] and "&amp;lt;" not in answer["text"], answer["text"]


async def test_postmortem_confirmations_keep_mentions_working(bot: RunningBot) -> None:
    await declare_here(bot)
    response_key = key()
    await bot.slack.command(
        "summary <@U222|dana> failed over the DB &lt;!channel&gt;",
        command="/postmortem",
        channel_id=WAR_ROOM,
        response_key=response_key,
    )
    answer = await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == response_key), None),
        what="the postmortem answer",
    )
    assert "“<@U222> failed over the DB &lt;!channel&gt;”" in answer["text"], answer["text"]
