"""Hostile Markdown and links (issue 17, finding 6): links and images typed in the war room
read as typed in the draft and the canvas; a file permalink cannot break out of its mrkdwn link."""

from __future__ import annotations

import copy
import re

from tests.conftest import RunningBot
from tests.support.incident_steps import run
from tests.support.postmortem_helpers import ask, uploaded
from tests.support.slack_requests import load_payload
from tests.support.timeline_helpers import WAR_ROOM, declare_here, event_from, now_ts

HOSTILE = [
    "[phish](http://evil.example/login)",
    "see ![img](http://evil.example/pixel.png) here",
    "[ref]: http://evil.example/ref",
    "nested [a [b](http://evil.example/b)](http://evil.example/a)",
]
# A Markdown link or image: `[label](target)` or `[label]: target`, not escaped.
_LINK = re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\s*[(:]")


OWN_PICTURE = re.compile(r"!?\[Timeline of incident #1\]\((incident-1-timeline\.png|https://\S+)\)")


async def test_links_and_images_in_messages_read_as_typed_in_the_draft(bot: RunningBot) -> None:
    await declare_here(bot)
    for n, text in enumerate(HOSTILE):
        event = event_from("event_message_channel.bolt.json", text=text, ts=now_ts(n))
        assert (await bot.slack.event(event)).status == 200
    await ask(bot, "summary Users saw [login](http://evil.example/summary)")
    answer = await ask(bot, "draft")
    assert "Postmortem draft" in answer
    doc = await uploaded(bot, "postmortem-incident-1.md")
    [canvas] = bot.fake.calls_to("canvases.create")
    for document in (doc, canvas["document_content"]["markdown"]):
        # The bot's own picture of the timeline is the one image (a link on the canvas).
        document, pictures = OWN_PICTURE.subn("", document)
        assert pictures == 1, document
        assert "evil.example/login" in document  # kept, as text
        assert not _LINK.search(document), _LINK.search(document)
        assert "![" not in document.replace("!\\[", "")


async def test_a_file_permalink_cannot_break_out_of_its_link(bot: RunningBot) -> None:
    await declare_here(bot)
    event = copy.deepcopy(load_payload("event_message_file_share.bolt.json")["event"])
    event.update(channel=WAR_ROOM, ts=now_ts())
    event["files"][0]["permalink"] = "https://x.slack.com/files/F1/a.png>*<!channel>* <http://evil"
    event["files"][0]["name"] = "a.png"
    assert (await bot.slack.event(event)).status == 200
    answer = await run(bot, "timeline", WAR_ROOM)
    text = answer["text"]
    assert "<!channel>" not in text and "<http://evil" not in text
    assert "a.png" in text
    # Messages are stored before Slack's ack; a well-formed permalink is still a link.
    good = copy.deepcopy(event)
    good.update(ts=now_ts(1), client_msg_id="other")
    good["files"][0]["permalink"] = "https://x.slack.com/files/U111/F2/b.png"
    good["files"][0]["name"] = "b.png"
    assert (await bot.slack.event(good)).status == 200
    text = (await run(bot, "timeline", WAR_ROOM))["text"]
    assert "<https://x.slack.com/files/U111/F2/b.png|b.png>" in text
