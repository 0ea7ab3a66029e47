"""How the fake Slack answers each Web API method, keeping just enough state to answer like
Slack's documentation says. The transport, failures and test controls are in api.py."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    topic: str = ""
    is_ext_shared: bool = False  # a Slack Connect channel
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)


def _time_range(p: dict[str, Any]) -> Callable[[str], bool] | dict[str, Any]:
    """Whether a ts is within `oldest`..`latest` (conversations.history and .replies): both
    bounds excluded unless `inclusive`; `latest` defaults to now, `oldest` to the beginning.
    Or Slack's error for a bound that is no timestamp."""
    try:
        oldest = Decimal(str(p.get("oldest") or 0))
    except InvalidOperation:
        return {"ok": False, "error": "invalid_ts_oldest"}
    try:
        latest = Decimal(str(p["latest"])) if p.get("latest") else None
    except InvalidOperation:
        return {"ok": False, "error": "invalid_ts_latest"}
    inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")

    def within(ts: str) -> bool:
        t = Decimal(ts)
        above = t >= oldest if inclusive else t > oldest
        below = latest is None or (t <= latest if inclusive else t < latest)
        return above and below

    return within


class SlackMethods:
    """`_m_<method>` answers `<method>` (dots as underscores); FakeSlack dispatches to them."""

    channels: dict[str, Channel]
    dms: dict[str, Channel]  # the bot's direct messages, by the user (or D...) id posted to
    users: dict[str, dict[str, Any]]
    usergroups: dict[str, list[str]]
    uploads: dict[str, dict[str, Any]]
    ephemerals: list[dict[str, Any]]
    views: dict[str, dict[str, Any]]
    home_views: dict[str, dict[str, Any]]
    socket_mode_url: str | None
    bot_user_id: str
    posted_ts: dict[int, str]
    port: int
    _ids: itertools.count[int] | Iterator[int]
    _cursors: dict[str, int]  # the next_cursor values given, and where each page starts
    granted_scopes: list[str]

    if TYPE_CHECKING:  # FakeSlack (api.py) provides these two; declared for the type checker

        def next_ts(self) -> str: ...

        def add_channel(
            self, channel_id: str, name: str, *, is_private: bool = False, bot_member: bool = False
        ) -> Channel: ...

    def _m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        # Shape from ../shared/slack/payloads/webapi_auth_test_bot.bolt.json
        return {
            "url": "https://subarachnoid.slack.com/",
            "team": "Subarachnoid Workspace",
            "user": "bot",
            "team_id": "T111",  # the workspace of the tests' event envelopes (issue 14)
            "user_id": self.bot_user_id,
            "bot_id": "BZYBOTHED",
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not self.socket_mode_url:
            return {"ok": False, "error": "invalid_auth"}
        return {"url": self.socket_mode_url}

    def _channel(self, channel_id: str) -> Channel | None:
        return self.channels.get(channel_id) or self.dms.get(channel_id)

    def _m_conversations_create(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["name"]
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        private = str(p.get("is_private", "")).lower() in ("1", "true")
        channel = self.add_channel(f"C{next(self._ids):08d}", name, is_private=private)
        channel.members.add(self.bot_user_id)
        return {"channel": self._channel_json(channel)}

    def _channel_json(self, c: Channel) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "is_channel": not c.is_private,
            "is_private": c.is_private,
            "is_member": self.bot_user_id in c.members,
            "is_ext_shared": c.is_ext_shared,
            "topic": {"value": c.topic},
        }

    def _m_conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"channel": self._channel_json(channel)}

    def _m_conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return self._page(sorted(channel.members), p, "members")

    def _m_conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_private:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        channel.members.add(self.bot_user_id)
        return {"channel": self._channel_json(channel)}

    def _m_conversations_invite(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        users = str(p["users"]).split(",")
        if all(u in channel.members for u in users):
            return {"ok": False, "error": "already_in_channel"}
        channel.members.update(users)
        return {"channel": self._channel_json(channel)}

    def _m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        """A direct message with the user (kept as a channel, so messages and files land)."""
        user = str(p.get("users", ""))
        channel_id = "D" + user.lstrip("UW")
        if channel_id not in self.channels:
            channel = self.add_channel(channel_id, f"dm-{user}", is_private=True)
            channel.members.update({user, self.bot_user_id})
        return {"channel": {"id": channel_id}}

    def _m_conversations_setTopic(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        channel.topic = p["topic"]
        return {"channel": self._channel_json(channel)}

    def _m_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        within = _time_range(p)
        if isinstance(within, dict):
            return within
        top = [
            m
            for m in channel.messages
            if within(m["ts"])
            and (m.get("thread_ts", m["ts"]) == m["ts"] or m.get("subtype") == "thread_broadcast")
        ]
        top.sort(key=lambda m: Decimal(m["ts"]), reverse=True)  # newest first, as Slack does
        return self._page([self._with_thread_facts(channel, m) for m in top], p, "messages")

    def _with_thread_facts(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        """A thread parent in history carries reply_count and latest_reply, as in Slack."""
        replies = [
            m["ts"]
            for m in channel.messages
            if m.get("thread_ts") == message["ts"] and m["ts"] != message["ts"]
        ]
        if not replies:
            return message
        return {
            **message,
            "thread_ts": message["ts"],
            "reply_count": len(replies),
            "latest_reply": max(replies, key=float),
        }

    def _m_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = p["ts"]
        within = _time_range(p)
        if isinstance(within, dict):
            return within
        parent = next((m for m in channel.messages if m["ts"] == ts), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        replies = [
            m
            for m in channel.messages
            if m.get("thread_ts") == ts and m["ts"] != ts and within(m["ts"])
        ]
        replies.sort(key=lambda m: Decimal(m["ts"]))  # oldest first
        # The parent always comes first, whatever the time range, as Slack answers.
        return self._page([parent, *replies], p, "messages")

    def _page(self, items: list[Any], p: dict[str, Any], key: str) -> dict[str, Any]:
        """One page of `items` with Slack's opaque cursor (`invalid_cursor` for any other)."""
        limit = int(p.get("limit") or 100)
        start = 0
        if p.get("cursor"):
            start = self._cursors.get(str(p["cursor"]), -1)
            if start < 0:
                return {"ok": False, "error": "invalid_cursor"}
        page = items[start : start + limit]
        more = start + limit < len(items)
        cursor = ""
        if more:
            cursor = base64.b64encode(f"next:{next(self._ids)}".encode()).decode()
            self._cursors[cursor] = start + limit
        return {key: page, "has_more": more, "response_metadata": {"next_cursor": cursor}}

    def _post(self, p: dict[str, Any], **extra: Any) -> dict[str, Any]:
        channel_id = p["channel"]
        ts = self.next_ts()
        message = {
            "type": "message",
            "ts": ts,
            "text": p.get("text", ""),
            "blocks": p.get("blocks"),
            "bot_id": "BZYBOTHED",
            "user": self.bot_user_id,
            **extra,
        }
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        channel = self._channel(channel_id)
        if channel is None and channel_id.startswith(("U", "W", "D")):
            channel = self.dms[channel_id] = Channel(channel_id, "", True, members={channel_id})
        if channel is not None:
            channel.messages.append(message)
        self.posted_ts[id(p)] = ts
        return {"channel": channel_id, "ts": ts, "message": message}

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel_id = p["channel"]
        if channel_id not in self.channels and not channel_id.startswith(("U", "W", "D")):
            return {"ok": False, "error": "channel_not_found"}
        return self._post(p)

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = self.next_ts()
        message = {"ts": ts, "text": p.get("text", ""), "blocks": p.get("blocks")}
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        self.ephemerals.append({"channel": p.get("channel"), "user": p.get("user"), **message})
        return {"message_ts": ts}

    def _own_message(self, p: dict[str, Any], verb: str) -> dict[str, Any]:
        """The bot's message `ts` in `channel`, or Slack's error for chat.update/chat.delete:
        `message_not_found`, or `cant_update_message` / `cant_delete_message` for someone
        else's message."""
        channel = self._channel(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message = next((m for m in channel.messages if m["ts"] == p.get("ts")), None)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.get("user") != self.bot_user_id or message.get("subtype") == "tombstone":
            return {"ok": False, "error": f"cant_{verb}_message"}
        return message

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(p, "update")
        if message.get("ok") is False:
            return message
        message["text"] = p.get("text", message.get("text"))
        message["blocks"] = p.get("blocks", message.get("blocks"))
        return {"channel": p["channel"], "ts": p["ts"], "text": message["text"]}

    def _m_chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(p, "delete")
        if message.get("ok") is False:
            return message
        channel = self._channel(p["channel"])
        assert channel is not None
        channel.messages.remove(message)
        return {"channel": p["channel"], "ts": p["ts"]}

    def _m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "permalink": f"https://example.slack.com/archives/{p['channel']}/p{p['message_ts']}"
        }

    def _m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):  # only an interaction gives one (good for 3 seconds)
            return {"ok": False, "error": "invalid_trigger_id"}
        view = {"id": f"V{next(self._ids):08d}", **(p.get("view") or {})}
        self.views[view["id"]] = {"view": view, "trigger_id": p["trigger_id"], "pushed": False}
        return {"view": view}

    def _m_views_push(self, p: dict[str, Any]) -> dict[str, Any]:
        answer = self._m_views_open(p)
        if "view" in answer:
            self.views[answer["view"]["id"]]["pushed"] = True
        return answer

    def _m_views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view = {"id": p.get("view_id") or "V0", **(p.get("view") or {})}
        if view["id"] in self.views:
            self.views[view["id"]]["view"] = view
        return {"view": view}

    def _m_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view = {"id": f"V{next(self._ids):08d}", **(p.get("view") or {})}
        self.home_views[str(p.get("user_id"))] = view
        return {"view": view}

    def _m_users_conversations(self, p: dict[str, Any]) -> dict[str, Any]:
        """As the Web API's description has it: the channels of `types` the user is in; with
        a bot token, private ones only where the bot is a member too."""
        user = str(p.get("user") or self.bot_user_id)
        if user not in self.users and user != self.bot_user_id:
            return {"ok": False, "error": "user_not_found"}
        types = set(str(p.get("types") or "public_channel").split(","))
        found = [
            self._channel_json(c)
            for c in sorted(self.channels.values(), key=lambda c: c.id)
            if ("private_channel" if c.is_private else "public_channel") in types
            and user in c.members
            and (not c.is_private or self.bot_user_id in c.members)
        ]
        return self._page(found, p, "channels")

    def _m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(p["user"])
        if user is None:  # no such user in this workspace (the fixtures add the tests' people)
            return {"ok": False, "error": "user_not_found"}
        return {"user": {"is_restricted": False, "is_ultra_restricted": False, **user}}

    def _m_users_lookupByEmail(self, p: dict[str, Any]) -> dict[str, Any]:
        """As the Web API's description has it: the member whose profile has this email (its
        case ignored), else `users_not_found`. Needs `users:read.email`."""
        if "users:read.email" not in self.granted_scopes:
            return {"ok": False, "error": "missing_scope", "needed": "users:read.email"}
        wanted = str(p.get("email") or "").strip().lower()
        for user in self.users.values():
            email = str((user.get("profile") or {}).get("email") or "").lower()
            if wanted and email == wanted:
                return {"user": {"is_restricted": False, "is_ultra_restricted": False, **user}}
        return {"ok": False, "error": "users_not_found"}

    def _m_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        """As the Web API's description has it: the user IDs of a user group, else
        `no_such_subteam`. Needs `usergroups:read`."""
        if "usergroups:read" not in self.granted_scopes:
            return {"ok": False, "error": "missing_scope", "needed": "usergroups:read"}
        members = self.usergroups.get(str(p.get("usergroup") or ""))
        if members is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"users": list(members)}

    def _m_pins_add(self, p: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = {"filename": p.get("filename"), "length": p.get("length")}
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files") or []
        out = []
        for f in files:
            upload = self.uploads.get(f["id"], {})
            upload.update(title=f.get("title"), channel_id=p.get("channel_id"), completed=True)
            upload["initial_comment"] = p.get("initial_comment")
            upload["shared_ts"] = self.next_ts()  # when it appears in the channel
            out.append(
                {
                    "id": f["id"],
                    "title": f.get("title"),
                    "name": upload.get("filename"),
                    "permalink": f"https://example.slack.com/files/{f['id']}",
                }
            )
        return {"files": out}

    def _m_files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "file": {
                "id": p.get("file"),
                "permalink": f"https://example.slack.com/files/{p.get('file')}",
            }
        }

    def _m_canvases_create(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"canvas_id": f"F{next(self._ids):08d}"}

    def _m_conversations_canvases_create(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"canvas_id": f"F{next(self._ids):08d}"}
