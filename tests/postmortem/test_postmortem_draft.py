"""`/postmortem draft` end to end: the uploaded Markdown is read back from the fake Slack."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.postmortem_helpers import ask, build_record, declare_here, minutes, uploaded


def section(doc: str, number: int) -> str:
    """The text of section `number` (from its heading to the next `## `)."""
    start = doc.index(f"\n## {number}. ")
    end = doc.find("\n## ", start + 1)
    return doc[start : end if end != -1 else None]


async def test_draft_has_every_section_in_order_and_the_whole_record(bot: RunningBot) -> None:
    incident = await build_record(bot)
    answer = await ask(bot, "draft")
    assert "Postmortem draft for incident #1" in answer
    assert "https://example.slack.com/files/" in answer
    doc = await uploaded(bot, "postmortem-incident-1.md")
    upload = bot.fake.calls_to("files.completeUploadExternal")[-1]
    assert upload["channel_id"] == "C111"

    headings = re.findall(r"^## (.+)$", doc, re.MULTILINE)
    assert headings == [
        "1. Summary",
        "2. Timeline",
        "3. Contributing factors",
        "4. What went well",
        "5. What went poorly",
        "6. Action items",
        "7. Lessons learned",
        "8. Response metrics",
        "9. Blameless-language check",
    ]
    summary = section(doc, 1)
    assert "A bad deploy made checkout return 500s for 30 minutes" in summary
    assert "| **Status** | Resolved |" in summary
    assert "| **Severity** | SEV2 |" in summary
    started = incident.declared_at
    assert f"| **Started (declared)** | {started:%Y-%m-%d %H:%M:%S} UTC |" in summary
    assert f"| **Mitigated** | {minutes(started, 30):%Y-%m-%d %H:%M:%S} UTC |" in summary
    assert f"| **Resolved** | {minutes(started, 90):%Y-%m-%d %H:%M:%S} UTC |" in summary
    assert "| **Duration** | 1 h 30 min |" in summary
    assert "| **Impact** | 12% of checkouts failed in EU and US |" in summary
    assert "| **Commander** | @u111 |" in summary and "| **Communicator** | @u444 |" in summary

    timeline = section(doc, 2)
    lines = [line for line in timeline.splitlines() if line.startswith("- **")]
    times = [line[4:27] for line in lines]
    assert times == sorted(times), "timeline is not chronological"
    assert len(lines) == 13  # the declaration + 12 entries
    for text in (
        "Incident declared by @u111",
        "Deploy 4512 started",
        "Seeing 500s on /checkout",
        "Confirmed in EU too",
        "Investigating elevated 500s at checkout",
        "Mitigated by rollback",
        "@u444 is now communicator",
        "Error rate at 12 percent",
        "Grafana screenshot",
        "errors.png (https://example.slack.com/files/F1)",
        "x" * 3000,
        "end of the long message",
    ):
        assert text in timeline, text
    assert f"**{minutes(started, -20):%Y-%m-%d %H:%M:%S} UTC** · @u222 · log line" in timeline
    key = next(line for line in lines if "Rolled back deploy 4512" in line)
    assert "📌 **KEY EVENT**" in key and "@u222" in key
    assert sum("KEY EVENT" in line for line in lines) == 1
    assert "· **status update**: Mitigated by rollback" in timeline
    assert "· **role change**: @u444 is now communicator" in timeline
    assert "_edited; earlier text, replaced" in timeline and "Error rate at 2 percent" in timeline
    tombstone = next(line for line in lines if "deleted" in line)
    assert f"_[message deleted {minutes(started, 11):%Y-%m-%d %H:%M:%S} UTC by @u333]_" in tombstone
    # The long message cannot become a heading, a table or a quote: every line is escaped.
    assert "\n  \\# not a heading" in timeline
    assert "\n  \\| not \\| a \\| table \\|" in timeline
    assert "\n  \\> not a quote" in timeline and "\n  1\\. not a list" in timeline
    assert "\n# not a heading" not in doc

    factors = section(doc, 3)
    assert factors.index("### Technical") < factors.index("### Process")
    assert "**F1**: Deploy 4512 shipped a config \\| with a pipe" in factors
    assert "_Addressed by action item #1._" in factors
    f2 = factors[factors.index("**F2**") :]
    assert f2.startswith("**F2**: Canary stage was skipped for config changes")
    assert "No action item addresses this factor" in f2.splitlines()[1]
    assert "Every contributing factor needs at least one action item" in factors
    assert "Still without one: F2." in factors
    assert "1. **Why?** Why did checkout fail? The config was invalid" in factors
    assert "2. **Why?** Why was it invalid? No schema validation in CI" in factors

    assert "- Rollback took 2 minutes" in section(doc, 4)
    assert "- Alert fired 8 minutes late" in section(doc, 5)
    actions = section(doc, 6)
    assert "| # | Priority | Item | Owner | Due | Status |" in actions
    assert "| 1 | P1 | F1: Validate config schema in CI before merge | @u222 |" in actions
    assert (
        "| 2 | P2 | Add a checkout 500-rate alert at 2 percent for 5 minutes | @u333 |" in actions
    )
    assert "nothing is P0" not in actions
    assert "- Config is code" in section(doc, 7)

    metrics = section(doc, 8)
    assert "**Time to first response:** 2 min 00 s" in metrics
    assert "**Time to mitigation:** 30 min 00 s" in metrics
    assert "**Time to resolution:** 1 h 30 min" in metrics
    assert "**Status updates:** 2" in metrics
    assert "**Longest gap without a status update:** 50 min 00 s (update → resolution" in metrics
    assert "against a cadence of 15 min 00 s: 35 min 00 s over the cadence" in metrics

    blame = section(doc, 9)
    assert "“**Dave's fault**” blames a person" in blame
    assert "“**careless**”" in blame
    assert "ask why the system allowed it" in blame


async def test_draft_of_an_open_incident_says_so_and_flags_all_p0(bot: RunningBot) -> None:
    await declare_here(bot, "Search is slow")
    due = (utcnow() + timedelta(days=3)).date().isoformat()
    await ask(bot, "factor human Root cause was human error on the runbook")
    for text in ("Rotate the search cluster credentials now", "Pin the search client version"):
        answer = await ask(bot, f"action P0 <@U222> {due} {text}")
        assert "Action item #" in answer
    await ask(bot, "draft")
    doc = await uploaded(bot, "postmortem-incident-1.md")
    assert "| **Status** | Open (investigating)" in doc
    assert "while the incident is open" in doc
    assert "| **Resolved** | not yet |" in doc
    assert "**Time to resolution:** not resolved yet" in doc
    assert "Every action item is P0, so in effect nothing is P0" in doc
    assert "Still without one: F1." in doc
    assert "“**human error**”" in section(doc, 9)


async def test_canvas_is_created_too_and_its_failure_falls_back_to_the_file(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    answer = await ask(bot, "draft")
    [canvas] = bot.fake.calls_to("canvases.create")
    assert canvas["channel_id"] == "C111"
    assert canvas["document_content"]["type"] == "markdown"
    assert "## 9. Blameless-language check" in canvas["document_content"]["markdown"]
    assert "Canvas: https://subarachnoid.slack.com/docs/T111/F" in answer
    assert "Markdown file: https://example.slack.com/files/" in answer

    bot.fake.fail("canvases.create", error="canvas_creation_failed")
    answer = await ask(bot, "draft")
    assert "No canvas (Slack answered `canvas_creation_failed`)" in answer
    assert "Markdown file: https://example.slack.com/files/" in answer
    markdown_uploads = [
        c
        for c in bot.fake.calls_to("files.completeUploadExternal")
        if c["files"][0]["title"].startswith("Postmortem:")
    ]
    assert len(markdown_uploads) == 2  # the timeline pictures are uploaded beside them


async def test_draft_runs_after_the_ack_even_when_slack_is_slow(bot: RunningBot) -> None:
    await declare_here(bot)
    bot.fake.delay("files.getUploadURLExternal", 1.5)
    started = time.monotonic()
    resp = await bot.slack.command("draft", command="/postmortem", channel_id="C111")
    assert resp.status == 200
    assert time.monotonic() - started < 1.0
    answer = await bot.fake.wait_for_response(2)
    assert time.monotonic() - started >= 1.5
    assert "Postmortem draft for incident #1" in answer["text"]


async def test_draft_that_cannot_be_put_anywhere_is_explained(bot: RunningBot) -> None:
    await declare_here(bot)
    bot.fake.fail("files.getUploadURLExternal", error="not_in_channel")
    bot.fake.fail("canvases.create", error="canvas_creation_failed")
    answer = await ask(bot, "draft")
    assert answer.startswith(":x: I could not put the postmortem draft in this channel")
    assert "(Slack answered `not_in_channel`)" in answer
    assert "(Slack answered `canvas_creation_failed`)" in answer

    bot.fake.fail("files.getUploadURLExternal", error="not_in_channel")
    answer = await ask(bot, "draft")
    assert "Canvas: https://subarachnoid.slack.com/docs/T111/F" in answer
    assert "The Markdown file upload failed (Slack answered `not_in_channel`)" in answer


async def test_draft_outside_an_incident_channel_is_refused(bot: RunningBot) -> None:
    answer = await ask(bot, "draft", channel_id="C111")
    assert "This isn't an incident channel" in answer
    assert bot.fake.calls_to("files.getUploadURLExternal") == []
