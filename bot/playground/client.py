"""The playground's Slack client: what a person does on the page, turned into what Slack would
send the bot (bot/playground/sender.py), and what the bot answers on a `response_url` or in a
view submission's ack, shown where Slack would show it.

The workspace itself (channels, messages, views, files) lives in the stand-in; this keeps only
what a Slack client keeps: which response_url and trigger_id belong to whom, which views are
open, and the validation errors a modal shows.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from bot.playground.alert import alertmanager_payload
from bot.playground.modal_state import required_missing, state_values
from bot.playground.people import BY_ID
from bot.playground.sender import BotSender, trigger_id, user_object
from bot.playground.standin.api import FakeSlack

log = logging.getLogger(__name__)


@dataclass
class Origin:
    """Where a response_url leads: the channel and person, and the message it came from."""

    channel: str
    user: str
    message_ts: str | None = None
    ephemeral: bool = False
    thread_ts: str | None = None


@dataclass
class Notice:
    """A line the page shows the person (an HTTP error from the bot, say), newest last."""

    user: str
    text: str
    at: float = field(default_factory=time.time)


class PlaygroundClient:
    def __init__(self, standin: FakeSlack, sender: BotSender, bot_url: str, alert_token: str):
        self.standin = standin
        self.sender = sender
        self.bot_url = bot_url
        self.alert_token = alert_token
        self.origins: dict[str, Origin] = {}
        self.triggers: dict[str, str] = {}  # trigger_id -> the person it was given to
        self.closed: set[str] = set()  # view ids closed
        self.errors: dict[str, dict[str, str]] = {}  # view id -> block_id -> error
        self.notices: list[Notice] = []
        self.ready = False  # the page answers 503 until the bot is up (bot/app/demo.py)
        self._keys = itertools.count(1)
        self._alerts = itertools.count(1)
        standin.on_response = self.on_response

    # ---- the bookkeeping of a Slack client ------------------------------------------------
    def _response_url(self, origin: Origin) -> str:
        key = f"pg{next(self._keys)}"
        self.origins[key] = origin
        return self.standin.response_url(key)

    def _trigger(self, user: str) -> str:
        trigger = trigger_id()
        self.triggers[trigger] = user
        return trigger

    def channel_name(self, channel_id: str) -> str:
        channel = self.standin.channels.get(channel_id)
        return channel.name if channel else channel_id

    def notice(self, user: str, text: str) -> None:
        self.notices.append(Notice(user, text))
        self.standin.version += 1

    def _answered(self, user: str, what: str, status: int) -> None:
        if status >= 300:
            self.notice(user, f"the bot answered {what} with HTTP {status}")

    def modal_of(self, user: str) -> dict[str, Any] | None:
        """The top of this person's modal stack, or None."""
        mine = [
            v
            for vid, v in self.standin.views.items()
            if vid not in self.closed and self.triggers.get(str(v.get("trigger_id"))) == user
        ]
        return mine[-1]["view"] if mine else None

    # ---- what people do ---------------------------------------------------------------------
    async def say(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> None:
        """A message typed into the composer: a slash command, or a message into the channel."""
        text = text.strip()
        if not text:
            return
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            origin = Origin(channel, user, thread_ts=thread_ts)
            status, body = await self.sender.command(
                command,
                rest.strip(),
                user_id=user,
                channel_id=channel,
                channel_name=self.channel_name(channel),
                response_url=self._response_url(origin),
                trigger=self._trigger(user),
            )
            self._answered(user, command, status)
            self._show_ack(origin, body)
            return
        # Slack escapes these three in what people type (its "text" is mrkdwn).
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        message: dict[str, Any] = {"type": "message", "user": user, "text": escaped}
        if thread_ts:
            message["thread_ts"] = thread_ts
        message = self.standin.add_message(channel, message)
        event = {**message, "channel": channel, "event_ts": message["ts"], "team": "T111"}
        event["channel_type"] = "im" if channel.startswith("D") else "channel"
        await self.standin._notify()
        status, _ = await self.sender.event(event)
        self._answered(user, "the message", status)

    async def react(self, user: str, channel: str, ts: str, name: str) -> None:
        message = self._message(channel, ts)
        if message is None:
            return
        reactions = message.setdefault("reactions", [])
        mark = next((r for r in reactions if r["name"] == name), None)
        added = mark is None or user not in mark["users"]
        if mark is None:
            mark = {"name": name, "users": [], "count": 0}
            reactions.append(mark)
        if added:
            mark["users"].append(user)
        else:
            mark["users"].remove(user)
        mark["count"] = len(mark["users"])
        message["reactions"] = [r for r in reactions if r["count"]]
        await self.standin._notify()
        event = {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "reaction": name,
            "item_user": message.get("user"),
            "event_ts": self.standin.next_ts(),
        }
        status, _ = await self.sender.event(event)
        self._answered(user, "the reaction", status)

    async def delete(self, user: str, channel: str, ts: str) -> None:
        """A person deletes their own message (the bot's are the bot's to delete)."""
        message = self._message(channel, ts)
        if message is None or message.get("user") != user:
            return
        self.standin.delete_from_history(channel, ts)
        await self.standin._notify()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": channel,
            "ts": self.standin.next_ts(),
            "deleted_ts": ts,
            "previous_message": message,
            "hidden": True,
            "event_ts": self.standin.next_ts(),
            "channel_type": "channel",
        }
        await self.sender.event(event)

    async def app_home(self, user: str) -> None:
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D" + user.lstrip("U"),
            "tab": "home",
            "event_ts": self.standin.next_ts(),
        }
        await self.sender.event(event)

    async def shortcut(self, user: str, callback_id: str, channel: str, ts: str = "") -> None:
        """A global shortcut, or (with the message's ts) a message shortcut."""
        payload: dict[str, Any] = {
            "user_id": user,
            "callback_id": callback_id,
            "trigger_id": self._trigger(user),
            "action_ts": str(time.time()),
        }
        message = self._message(channel, ts) if ts else None
        if message is None:
            payload["type"] = "shortcut"
        else:
            payload |= {
                "type": "message_action",
                "channel": {"id": channel, "name": self.channel_name(channel)},
                "message": message,
                "message_ts": ts,
                "response_url": self._response_url(Origin(channel, user)),
            }
        status, _ = await self.sender.interaction(payload)
        self._answered(user, "the shortcut", status)

    async def action(self, user: str, where: dict[str, Any], name: str, value: Any) -> None:
        """A button pressed, a select chosen or a box ticked: a block_actions interaction."""
        block_id, action_id, kind = json.loads(name)
        action = {"action_id": action_id, "block_id": block_id, "type": kind}
        action |= _action_value(kind, value)
        action["action_ts"] = str(time.time())
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user_id": user,
            "trigger_id": self._trigger(user),
            "actions": [action],
            "state": {"values": {}},
        }
        view_id = where.get("view_id")
        if view_id:
            view = self._view(str(view_id), user)
            if view is None:
                return
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = {**view, "state": {"values": state_values(view, where)}}
        else:
            channel, ts = str(where.get("channel")), str(where.get("ts"))
            ephemeral = bool(where.get("ephemeral"))
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": channel, "name": self.channel_name(channel)}
            message = self._ephemeral(ts) if ephemeral else self._message(channel, ts)
            if message is not None and not ephemeral:
                payload["message"] = message
            origin = Origin(channel, user, message_ts=ts, ephemeral=ephemeral)
            payload["response_url"] = self._response_url(origin)
        status, _ = await self.sender.interaction(payload)
        self._answered(user, "the action", status)

    async def submit(self, user: str, view_id: str, form: dict[str, Any]) -> None:
        """A modal submitted: Slack's own check of required fields, then a view_submission,
        and the ack's response_action applied (errors shown, update, push, clear)."""
        view = self._view(view_id, user)
        if view is None:
            return
        missing = required_missing(view, form)
        if missing:
            self.errors[view_id] = missing
            self.standin.version += 1
            return
        payload = {
            "type": "view_submission",
            "user_id": user,
            "trigger_id": self._trigger(user),
            "view": {**view, "state": {"values": state_values(view, form)}},
            "response_urls": [],
        }
        status, body = await self.sender.interaction(payload)
        self._answered(user, "the form", status)
        self.apply_ack(user, view_id, body)

    def apply_ack(self, user: str, view_id: str, body: str) -> None:
        try:
            ack = json.loads(body) if body.strip() else {}
        except ValueError:
            ack = {}
        action = ack.get("response_action") if isinstance(ack, dict) else None
        if action == "errors":
            self.errors[view_id] = {str(k): str(v) for k, v in (ack.get("errors") or {}).items()}
        elif action == "update" and isinstance(ack.get("view"), dict):
            self.standin.views[view_id]["view"] = {"id": view_id, **ack["view"]}
            self.errors.pop(view_id, None)
        elif action == "push" and isinstance(ack.get("view"), dict):
            new_id = f"VPUSH{next(self._keys)}"
            trigger = self._trigger(user)
            entry = {"view": {"id": new_id, **ack["view"]}, "trigger_id": trigger}
            self.standin.views[new_id] = entry
        elif action == "clear":
            self.closed.update(
                vid
                for vid, v in self.standin.views.items()
                if self.triggers.get(str(v.get("trigger_id"))) == user
            )
        else:
            self.closed.add(view_id)
            self.errors.pop(view_id, None)
        self.standin.version += 1

    async def close(self, user: str, view_id: str) -> None:
        view = self._view(view_id, user)
        if view is None:
            return
        self.closed.add(view_id)
        self.standin.version += 1
        if view.get("notify_on_close"):
            payload = {"type": "view_closed", "user_id": user, "view": view, "is_cleared": False}
            await self.sender.interaction(payload)

    async def fire_alert(self, user: str) -> None:
        """An Alertmanager webhook to the bot, as an alert rule firing would send."""
        body = json.dumps(alertmanager_payload(next(self._alerts)))
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.alert_token}",
        }
        session = await self.sender.session_for_alerts()
        async with session.post(
            self.bot_url + "/alerts/alertmanager", data=body, headers=headers
        ) as resp:
            self._answered(user, "the alert", resp.status)
            if resp.status < 300:
                self.notice(user, "alert fired: Alertmanager sent the bot a firing group")

    # ---- what the bot sends to a response_url ---------------------------------------------
    def _show_ack(self, origin: Origin, body: str) -> None:
        """A command's ack with a message in it, which Slack shows as a response_url post."""
        if not body.strip():
            return
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {"text": body}
        if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
            self._show(origin, answer)
            self.standin.version += 1

    def on_response(self, key: str, body: dict[str, Any]) -> None:
        origin = self.origins.get(key)
        if origin is not None:
            self._show(origin, body)

    def _show(self, origin: Origin, body: dict[str, Any]) -> None:
        standin = self.standin
        if body.get("delete_original") and origin.message_ts:
            self._remove(origin)
            return
        if body.get("replace_original") and origin.message_ts:
            target = (
                self._ephemeral(origin.message_ts)
                if origin.ephemeral
                else self._message(origin.channel, origin.message_ts)
            )
            if target is not None:
                target["text"] = body.get("text", target.get("text"))
                target["blocks"] = body.get("blocks", target.get("blocks"))
                return
        if body.get("response_type") == "in_channel":
            params = {"channel": origin.channel, "text": body.get("text", "")}
            if body.get("blocks"):
                params["blocks"] = body["blocks"]
            if origin.thread_ts:
                params["thread_ts"] = origin.thread_ts
            standin._post(params)
            return
        ephemeral = {
            "channel": origin.channel,
            "user": origin.user,
            "ts": standin.next_ts(),
            "text": body.get("text", ""),
            "blocks": body.get("blocks"),
        }
        standin.ephemerals.append(ephemeral)

    def _remove(self, origin: Origin) -> None:
        if origin.ephemeral:
            self.standin.ephemerals[:] = [
                e for e in self.standin.ephemerals if e["ts"] != origin.message_ts
            ]
            return
        channel = self.standin.channels.get(origin.channel)
        if channel is not None:
            channel.messages[:] = [m for m in channel.messages if m["ts"] != origin.message_ts]

    def _message(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self.standin.channels.get(channel) or self.standin.dms.get(channel)
        if found is None:
            return None
        return next((m for m in found.messages if m.get("ts") == ts), None)

    def _ephemeral(self, ts: str) -> dict[str, Any] | None:
        return next((e for e in self.standin.ephemerals if e["ts"] == ts), None)

    def _view(self, view_id: str, user: str) -> dict[str, Any] | None:
        """The view, if it is this person's to act on (App Home's included)."""
        entry = self.standin.views.get(view_id)
        if entry is not None and self.triggers.get(str(entry.get("trigger_id"))) == user:
            return dict(entry["view"])
        home = self.standin.home_views.get(user)
        if home is not None and home.get("id") == view_id:
            return dict(home)
        return None


def _action_value(kind: str, value: Any) -> dict[str, Any]:
    """The part of a block_actions action that says what was chosen, by element type."""
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v not in (None, "")]
    first = values[0] if values else None
    if kind == "button":
        button = json.loads(first) if isinstance(first, str) else {}
        return {"value": button.get("value", ""), "text": button.get("text")}
    if kind in ("static_select", "overflow", "radio_buttons"):
        return {"selected_option": json.loads(first) if first else None}
    if kind in ("multi_static_select", "checkboxes"):
        return {"selected_options": [json.loads(v) for v in values]}
    if kind == "users_select":
        return {"selected_user": first}
    if kind == "multi_users_select":
        return {"selected_users": values}
    if kind == "channels_select":
        return {"selected_channel": first}
    if kind == "conversations_select":
        return {"selected_conversation": first}
    if kind == "datepicker":
        return {"selected_date": first}
    return {"value": first}


def person_name(user_id: str) -> str:
    person = BY_ID.get(user_id)
    return person.name if person else user_object(user_id)["name"]
