"""Slack's real-world failure modes in the fake Web API (issue 14), kept apart from the
methods in methods.py so the two can change independently.

- history changed while the bot was away: `edit_in_history`, `delete_from_history`;
- channels archived, renamed, or left by the bot: `archive`, `unarchive`, `rename`,
  `remove_bot`, `invite_bot_back`; calls about them answer as Slack does (`is_archived` for
  writes to an archived channel, `not_in_channel` / `channel_not_found` where the bot is not a
  member: removed, or never there);
- the token revoked: `revoke(reason)` makes every method answer that error, `restore()`;
- Slack Connect: `share_externally(channel)` (`is_ext_shared`); external users are added with
  `add_user(id, team_id="T...")` or `is_stranger=True`.
`refusal(method, params)` is asked by FakeSlack before any method is answered.
"""

from __future__ import annotations

from typing import Any

from bot.playground.standin.methods import Channel

# Methods that write into the channel they name (an archived channel refuses them).
WRITES = frozenset(
    {
        "chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete",
        "conversations.setTopic", "conversations.invite", "pins.add", "reactions.add",
        "files.completeUploadExternal", "conversations.canvases.create", "conversations.join",
    }
)  # fmt: skip
# Methods that need the bot in the channel (a bot token reads only where it is a member).
NEEDS_MEMBER = WRITES - {"conversations.join"} | {"conversations.history", "conversations.replies"}
# Methods that answer channel_not_found for a private channel the bot is not in.
SEES_PRIVATE = frozenset({"conversations.info", "conversations.members"})


class SlackRealities:
    """Test controls and checks mixed into FakeSlack."""

    channels: dict[str, Channel]
    bot_user_id: str
    revoked: str | None = None
    archived: set[str]
    ext_shared: set[str]

    def init_realities(self) -> None:
        self.revoked = None
        self.archived = set()
        self.ext_shared = set()

    def refusal(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """What Slack would answer instead of doing `method`, or None to go ahead.

        A bot token writes and reads history only where the bot is a member (it created the
        channel, joined it, or was invited): elsewhere a public channel answers
        `not_in_channel`, and a private one is not even visible (`channel_not_found`)."""
        if self.revoked is not None:
            return {"ok": False, "error": self.revoked}
        channel_id = params.get("channel") or params.get("channel_id")
        if not isinstance(channel_id, str) or channel_id not in self.channels:
            return None
        channel = self.channels[channel_id]
        if channel_id in self.archived and method in WRITES:
            return {"ok": False, "error": "is_archived"}
        if method == "conversations.join" or self.bot_user_id in channel.members:
            return None  # joining a private channel is refused by the method itself
        if channel.is_private and (method in NEEDS_MEMBER or method in SEES_PRIVATE):
            return {"ok": False, "error": "channel_not_found"}
        if method in NEEDS_MEMBER:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def amend(self, method: str, result: dict[str, Any]) -> dict[str, Any]:
        """Add what this section knows to an answer: `is_archived` on channel objects."""
        channel = result.get("channel")
        if isinstance(channel, dict) and "id" in channel:
            result["channel"] = {
                **channel,
                "is_archived": channel["id"] in self.archived,
                # Shared either way: share_externally() here, or the channel's own flag.
                "is_ext_shared": channel["id"] in self.ext_shared
                or bool(channel.get("is_ext_shared")),
                "is_shared": channel["id"] in self.ext_shared or bool(channel.get("is_ext_shared")),
            }
        return result

    # ---- Slack Connect ----------------------------------------------------------------------
    def share_externally(self, channel_id: str) -> None:
        """The channel becomes shared with another organisation."""
        self.ext_shared.add(channel_id)

    # ---- the token --------------------------------------------------------------------------
    def revoke(self, reason: str = "token_revoked") -> None:
        self.revoked = reason

    def restore(self) -> None:
        self.revoked = None

    # ---- channels ---------------------------------------------------------------------------
    def archive(self, channel_id: str) -> None:
        self.archived.add(channel_id)

    def unarchive(self, channel_id: str) -> None:
        self.archived.discard(channel_id)

    def rename(self, channel_id: str, name: str) -> None:
        self.channels[channel_id].name = name

    def remove_bot(self, channel_id: str) -> None:
        self.channels[channel_id].members.discard(self.bot_user_id)

    def invite_bot(self, channel_id: str) -> None:
        """Someone invites the bot to the channel (or invites it back after removing it)."""
        self.channels[channel_id].members.add(self.bot_user_id)

    invite_bot_back = invite_bot

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
