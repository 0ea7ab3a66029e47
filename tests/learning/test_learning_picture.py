"""The postmortem draft's picture of the incident: a valid PNG beside the Markdown (and linked
in the canvas) whose drawn data matches the record."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import RunningBot
from tests.support.png import png_data
from tests.support.postmortem_helpers import add_entry, ask, declare_here, set_incident, uploaded


def iso(moment) -> str:
    return moment.isoformat(timespec="seconds")


async def test_the_draft_has_a_picture_of_the_incident(bot: RunningBot) -> None:
    incident = await declare_here(bot)
    t0 = incident.declared_at.replace(second=0, microsecond=0)
    incident = await set_incident(bot, incident, declared_at=t0)

    def at(minutes: float):
        return t0 + timedelta(minutes=minutes)

    entries = [
        ("bot_message", -3, "ALERT checkout 5xx > 5%", {}),
        ("message", 1, "looking", {}),
        ("message", 1.5, "me too", {}),
        ("status_update", 10, "Investigating", {}),
        ("severity_change", 15, "<@U111> changed the severity from SEV2 to SEV1", {}),
        ("status_change", 20, "<@U111> changed the status from investigating to identified", {}),
        ("message", 21, "found it", {"key_event": True}),
        ("status_change", 30, "<@U111> changed the status from identified to mitigated", {}),
        ("status_update", 40, "Mitigated", {}),
        ("status_update", 50, "Monitoring", {}),
        ("message", 50.2, "all good", {}),
    ]
    for kind, minute, text, extra in entries:
        await add_entry(bot, incident, kind, text, at(minute), author_id="U222", **extra)
    await set_incident(
        bot,
        incident,
        status="resolved",
        severity="sev1",
        mitigated_at=at(30),
        resolved_at=at(90),
        update_interval_seconds=900,
    )
    answer = await ask(bot, "draft")
    assert "Picture `incident-1-timeline.png`: https://example.slack.com/files/F" in answer

    markdown = await uploaded(bot, "postmortem-incident-1.md")
    timeline = markdown.split("## 2. Timeline", 1)[1]
    assert timeline.startswith("\n\n![Timeline of incident #1](incident-1-timeline.png)\n")
    [canvas] = bot.fake.calls_to("canvases.create")
    canvas_markdown = canvas["document_content"]["markdown"]
    assert "![Timeline of incident #1](https://example.slack.com/files/F" in canvas_markdown

    png = next(
        u["content"]
        for u in bot.fake.uploads.values()
        if u.get("filename") == "incident-1-timeline.png" and u.get("completed")
    )
    size, data = png_data(png)
    assert size == (1400, 800)
    assert data["start"] == iso(at(-3)) and data["end"] == iso(at(90))
    assert data["severity_bands"] == [
        ["sev2", iso(at(0)), iso(at(15))],
        ["sev1", iso(at(15)), iso(at(90))],
    ]
    assert data["status_bands"] == [
        ["investigating", iso(at(0)), iso(at(20))],
        ["identified", iso(at(20)), iso(at(30))],
        ["mitigated", iso(at(30)), iso(at(90))],
    ]
    # Due 15 min after the declaration or the previous update: 10 on time, 40 late (due 25),
    # 50 on time (due 55).
    assert data["updates"] == {
        "on_time": [iso(at(10)), iso(at(50))],
        "late": [iso(at(40))],
        "due_of_late": [iso(at(25))],
    }
    assert data["key_events"] == [iso(at(21))]
    assert data["alerts"] == [iso(at(-3))]
    # Messages and the alert, per minute: -3, 1 (two), 21, 50 -> 4 minutes, 5 messages.
    assert data["volume"] == {"minutes": 4, "messages": 5, "busiest": 2}
