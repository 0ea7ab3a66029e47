"""Pure pieces of the timeline: reading message payloads, key reactions, rendering lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.timeline.commands import parse_count
from bot.timeline.events import (
    datetime_to_ts,
    read_deletion,
    read_edit,
    read_message,
    ts_to_datetime,
)
from bot.timeline.keyevents import is_key_reaction, marks_in_history
from bot.timeline.render import display_text, render_entry, when
from storage.models.timeline import TimelineEntry
from tests.support.slack_requests import load_payload


def event(name: str) -> dict:
    return load_payload(name)["event"]


def test_ts_is_read_exactly_and_back() -> None:
    assert ts_to_datetime("1596183880.004200") == datetime(2020, 7, 31, 8, 24, 40, 4200, tzinfo=UTC)
    assert ts_to_datetime("1596183880") == datetime(2020, 7, 31, 8, 24, 40, tzinfo=UTC)
    for ts in ("1596183880.004200", "1358877455.000010", "1795710103.999999"):
        assert datetime_to_ts(ts_to_datetime(ts)) == ts


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ("event_message_channel.bolt.json", "message"),
        ("event_message_user.bolt.json", "message"),
        ("event_message_channels.slackdocs.json", "message"),
        ("event_message_thread_reply.derived.json", "thread_reply"),
        ("event_message_thread_broadcast.bolt.json", "thread_broadcast"),
        ("event_message_file_share.bolt.json", "file_share"),
        ("event_message_bot_message_subtype.bolt.json", "bot_message"),
        ("event_message_bot_modern.bolt.json", "bot_message"),
        ("event_message_bot_message.slackdocs.json", "bot_message"),
        ("event_message_channel_join.slackdocs.json", None),
        ("event_message_replied.slackdocs.json", None),
        ("event_message_changed.bolt.json", None),
        ("event_message_deleted.bolt.json", None),
    ],
)
def test_message_kinds(payload: str, kind: str | None) -> None:
    msg = read_message(event(payload), channel_id="C1")
    assert (msg.kind if msg else None) == kind


def test_text_is_stored_as_typed() -> None:
    raw = {"type": "message", "ts": "1.000001", "user": "U1", "text": "a &lt;b&gt; &amp; c"}
    assert read_message(raw, "C1").text == "a <b> & c"  # type: ignore[union-attr]


def test_an_integration_posting_only_attachments_keeps_their_text() -> None:
    raw = {**event("event_message_bot_message.slackdocs.json"), "text": ""}
    raw["attachments"] = [{"fallback": "[FIRING:1] HighLatency"}, {"title": "runbook"}]
    assert read_message(raw, "C1").text == "[FIRING:1] HighLatency\nrunbook"  # type: ignore[union-attr]


def test_file_share_keeps_facts_not_bytes() -> None:
    msg = read_message(event("event_message_file_share.bolt.json"))
    assert msg is not None
    assert json.loads(msg.files or "") == [
        {
            "name": "file.png",
            "title": "file.png",
            "type": "PNG",
            "permalink": "https://xxx.slack.com/files/U111/F111/file.png",
        }
    ]


def test_edits_in_both_documented_shapes() -> None:
    bolt = read_edit(event("event_message_changed.bolt.json"))
    assert bolt is not None
    assert (bolt.ts, bolt.text, bolt.previous_text) == (
        "1665102338.901939",
        "updated message",
        "original message",
    )
    assert bolt.edited_at == datetime.fromtimestamp(1665102362, UTC)
    docs = read_edit(event("event_message_changed.slackdocs.json"))
    assert docs is not None
    assert (docs.channel_id, docs.ts, docs.text) == (
        "C123ABC456",
        "1355517523.000005",
        "Hello, world!",
    )
    assert docs.previous_text is None


def test_deletions_in_both_documented_shapes() -> None:
    bolt = read_deletion(event("event_message_deleted.bolt.json"))
    assert bolt is not None
    assert (bolt.ts, bolt.message.author_id) == ("1665368619.804829", "U111")
    docs = read_deletion(event("event_message_deleted.slackdocs.json"))
    assert docs is not None
    assert (docs.ts, docs.message.author_id) == ("1358878749.000002", None)
    assert docs.deleted_at == ts_to_datetime("1358878755.000001")


def test_key_reactions() -> None:
    assert is_key_reaction("pushpin", "pushpin")
    assert is_key_reaction("pushpin::skin-tone-4", ":pushpin:")
    assert not is_key_reaction("round_pushpin", "pushpin")
    assert not is_key_reaction(None, "pushpin")
    history = {
        "ts": "1.000001",
        "reactions": [
            {"name": "pushpin", "users": ["U1", "U2"], "count": 2},
            {"name": "eyes", "users": ["U3"], "count": 1},
        ],
        "pinned_to": ["C1"],
    }
    assert {(m["source"], m["user_id"]) for m in marks_in_history(history, "C1", "pushpin")} == {
        ("reaction", "U1"),
        ("reaction", "U2"),
        ("pin", ""),
    }


def test_display_text_escapes_but_keeps_people_and_channels() -> None:
    shown = display_text("<!channel> ask <@U123|ann> in <#C42|ops> & <https://x> <!subteam^S1>")
    assert shown == (
        "&lt;!channel&gt; ask <@U123|ann> in <#C42|ops> &amp; &lt;https://x&gt; &lt;!subteam^S1&gt;"
    )
    assert display_text("x" * 500).endswith("…") and len(display_text("x" * 500)) == 200


def test_when_shows_the_utc_date_when_it_differs() -> None:
    moment = datetime(2026, 11, 26, 3, 31, tzinfo=UTC)
    assert when(moment, ZoneInfo("Europe/Berlin")) == "2026-11-26 04:31 CET (03:31 UTC)"
    assert when(moment, ZoneInfo("America/New_York")) == (
        "2026-11-25 22:31 EST (2026-11-26 03:31 UTC)"
    )
    assert when(moment, UTC) == "2026-11-26 03:31 UTC"


def test_render_entry_marks_key_events_edits_and_tombstones() -> None:
    at = datetime(2026, 11, 26, 3, 31, tzinfo=UTC)
    entry = TimelineEntry(
        incident_id=1,
        kind="message",
        text="ok",
        author_id="U1",
        occurred_at=at,
        key_event=True,
        edited_at=at,
    )
    assert (
        render_entry(entry, UTC, "star") == "• :star: `2026-11-26 03:31 UTC` <@U1>: ok _(edited)_"
    )
    gone = TimelineEntry(
        incident_id=1, kind="thread_reply", text="", author_id="U1", occurred_at=at, deleted_at=at
    )
    assert "message deleted at 2026-11-26 03:31 UTC" in render_entry(gone, UTC)
    assert "<@U1> in a thread" in render_entry(gone, UTC)
    unknown = TimelineEntry(incident_id=1, kind="<weird>", text="t", occurred_at=at)
    assert "&lt;weird&gt; by someone: t" in render_entry(unknown, UTC)


@pytest.mark.parametrize(("args", "n"), [("", 20), ("  ", 20), ("5", 5), ("100", 100)])
def test_timeline_count(args: str, n: int) -> None:
    assert parse_count(args) == n


@pytest.mark.parametrize("args", ["0", "101", "-3", "ten", "5 6", "<!channel>"])
def test_timeline_count_refuses(args: str) -> None:
    with pytest.raises(UserError, match="from 1 to 100"):
        parse_count(args)
