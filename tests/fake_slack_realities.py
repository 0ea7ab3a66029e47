"""Slack's real-world failure modes in the fake Web API (issue 14), kept apart from the
methods in fake_slack_methods.py so the two can change independently.

- history changed while the bot was away: `edit_in_history`, `delete_from_history`;
"""

from __future__ import annotations

from typing import Any

from tests.fake_slack_methods import Channel


class SlackRealities:
    """Test controls and checks mixed into FakeSlack."""

    channels: dict[str, Channel]

    # ---- history changed while the bot was away --------------------------------------------
    def edit_in_history(self, channel_id: str, ts: str, text: str, edited_ts: str) -> None:
        """Edit a message in a channel's history, as Slack shows an edited message."""
        message = self._in_history(channel_id, ts)
        message["text"] = text
        message["edited"] = {"user": message.get("user", "U0"), "ts": edited_ts}

    def delete_from_history(self, channel_id: str, ts: str) -> None:
        """Delete a message. A thread parent with replies stays as Slack's `tombstone`."""
        channel = self.channels[channel_id]
        message = self._in_history(channel_id, ts)
        has_replies = any(m.get("thread_ts") == ts and m["ts"] != ts for m in channel.messages)
        if has_replies and message.get("thread_ts", ts) == ts:
            message.clear()
            message.update(
                type="message",
                subtype="tombstone",
                ts=ts,
                thread_ts=ts,
                text="This message was deleted.",
            )
            return
        channel.messages.remove(message)

    def _in_history(self, channel_id: str, ts: str) -> dict[str, Any]:
        for message in self.channels[channel_id].messages:
            if message["ts"] == ts:
                return message
        raise KeyError(f"no message {ts} in {channel_id}")
