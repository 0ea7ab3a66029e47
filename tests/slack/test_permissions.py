"""The permission model (bot/slack/permissions.py): every entry point is in the table, the docs
show the table (docs/permissions.md), and the guest matrix is generated from it, so a new
command, button or form is covered the day it is added.

Each entry point is tried by a member, a guest, a single-channel guest, an external (Slack
Connect) user and, for the buttons and forms that act on a private incident, a member who is
not in its channel. The permission check runs before anything else, so a refusal does not depend
on the arguments; an allowed call must not be refused (what it then does is other tests' job).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

import handlers
from bot.slack.grammar import registry
from bot.slack.permissions import (
    ACTIONS,
    ENTRY_POINTS,
    Audience,
    action_for,
    permission_table_markdown,
)
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry
from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import is_prompt, key, posts_in, wait_for_prompts
from tests.support.slack_requests import load_payload, view_submission

ROOT = Path(__file__).resolve().parents[2]
REFUSED = re.compile(r"is for full members of the workspace|This incident is private")
COULD_NOT_CHECK = "I could not check your account type"


class Recorder:
    """Stands in for Bolt's AsyncApp while the domains register: records what they listen to."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def __getattr__(self, kind: str) -> Any:
        def register(*args: Any, **_kwargs: Any) -> Any:
            self.seen.append((kind, args[0] if args else None))
            return lambda f: f

        return register


def registered_entry_points() -> set[str]:
    recorder = Recorder()
    handlers.register_all(recorder)  # type: ignore[arg-type]
    points = {s.entry_point for c in registry.commands() for s in registry.subcommands(c)}
    for kind, what in recorder.seen:
        if kind in ("action", "block_action"):
            points.add(f"action:{what}")
        elif kind in ("view", "view_submission"):
            points.add(f"view:{what}")
        elif kind in ("shortcut", "global_shortcut", "message_shortcut", "options"):
            points.add(f"{kind}:{what}")
        elif kind not in ("event", "message", "use", "middleware", "command"):
            raise AssertionError(f"a listener kind the permission test does not know: {kind}")
    return points


def test_every_entry_point_is_in_the_permission_table() -> None:
    registered = registered_entry_points()
    assert registered - set(ENTRY_POINTS) == set(), "add these to ENTRY_POINTS"
    assert set(ENTRY_POINTS) - registered == set(), "ENTRY_POINTS names what nothing registers"
    assert set(ENTRY_POINTS.values()) <= set(ACTIONS)


def test_the_default_for_guests_and_external_users() -> None:
    for name in ("declare", "change", "cadence", "update", "snooze", "action_items", "export"):
        assert ACTIONS[name].allowed == {Audience.MEMBER} | (
            {Audience.OUTSIDER} if name == "declare" else set()
        ), name
    for name in ("read", "note", "contribute"):
        assert {Audience.GUEST, Audience.EXTERNAL} <= ACTIONS[name].allowed, name
    assert action_for("/incident something-new").name == "change"  # not in the table: members


def test_the_docs_show_the_permission_table() -> None:
    page = (ROOT / "docs" / "permissions.md").read_text()
    block = re.search(r"<!-- permissions:start -->\n(.*?)<!-- permissions:end -->", page, re.S)
    assert block is not None
    assert block.group(1) == permission_table_markdown(), "run `make docs` (python -m bench.docs)"


USERS: dict[Audience, list[str]] = {
    Audience.MEMBER: ["U111"],
    Audience.GUEST: ["UGUEST", "UULTRA"],
    Audience.EXTERNAL: ["UEXTERN", "USTRANGER"],
}


def add_users(bot: RunningBot) -> None:
    bot.fake.add_user("UGUEST", is_restricted=True)
    bot.fake.add_user("UULTRA", is_ultra_restricted=True)
    bot.fake.add_user("UEXTERN", team_id="TOTHERORG")
    bot.fake.add_user("USTRANGER", is_stranger=True)
    bot.fake.add_user("U111", team_id="T111")
    bot.fake.add_user("UOUTSIDE", team_id="T111")


def interaction_for(
    point: str, user: str, channel: str, incident_id: int, prompt_id: int
) -> dict[str, Any]:
    kind, _, ident = point.partition(":")
    if kind == "action":
        payload = load_payload("interactive_block_actions.bolt.json")
        payload["user"]["id"] = user
        payload["channel"]["id"] = channel
        payload["container"].update(channel_id=channel, is_ephemeral=False, message_ts="1.1")
        payload["trigger_id"] = f"trigger-{key()}"
        # A button's value is an incident id (post update, the card's and the alert card's
        # buttons) or a reminder's id (snooze); the card's controls carry it in their block_id.
        value = str(prompt_id) if ident == "snooze_update_prompt" else str(incident_id)
        payload["actions"][0].update(
            action_id=ident, value=value, block_id=f"incident_controls:{incident_id}"
        )
        return payload
    if kind == "shortcut":
        name = "global" if ident == "declare_incident" else "message"
        payload = load_payload(f"interactive_{name}_shortcut.bolt.json")
        payload.update(callback_id=ident, trigger_id=f"trigger-{key()}")
        payload["user"]["id"] = user
        if name == "message":
            payload["channel"]["id"] = channel
            payload.update(message_ts="1.1")
            payload["message"].update(ts="1.1", text="copied")
        return payload
    forms: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "declare_incident": (
            {
                "title": {"value": {"type": "plain_text_input", "value": "Matrix"}},
                "severity": {
                    "value": {"type": "static_select", "selected_option": {"value": "sev3"}}
                },
            },
            {"channel_id": channel},
        ),
        "status_update": (
            {
                "known": {"value": {"type": "plain_text_input", "value": "k"}},
                "unknown": {"value": {"type": "plain_text_input", "value": "u"}},
                "next_steps": {"value": {"type": "plain_text_input", "value": "n"}},
            },
            {"incident_id": incident_id, "interval": 900},
        ),
        "postmortem_add": (
            {
                "kind": {"value": {"type": "static_select", "selected_option": {"value": "well"}}},
                "text": {"value": {"type": "plain_text_input", "value": "Paging worked"}},
            },
            {"incident_id": incident_id, "channel_id": channel, "factors": 0},
        ),
    }
    forms["resolve_incident"] = (
        {"summary": {"value": {"type": "plain_text_input", "value": "fixed"}}},
        {"incident_id": incident_id},
    )
    forms["add_to_timeline_pick"] = (
        {
            "incident": {
                "value": {"type": "static_select", "selected_option": {"value": str(incident_id)}}
            }
        },
        {"c": channel, "t": "1.1", "u": "U111", "x": "copied"},
    )
    forms["status_publish"] = (  # the matrix's bot has no status page: the member is told so
        {
            "title": {"value": {"type": "plain_text_input", "value": "Public title"}},
            "body": {"value": {"type": "plain_text_input", "value": "Public words"}},
            "status": {
                "value": {"type": "static_select", "selected_option": {"value": "identified"}}
            },
        },
        {"incident_id": incident_id},
    )
    if ident not in forms:
        raise AssertionError(f"add a sample submission for {point} to this test")
    values, meta = forms[ident]
    return view_submission(ident, values, user_id=user, private_metadata=json.dumps(meta))


async def answer_to(
    bot: RunningBot, point: str, user: str, channel: str, incident: int, prompt: int = 0
) -> str:
    """Use the entry point as `user` and return what the bot told them."""
    if point.startswith("/"):
        command, _, name = point.partition(" ")
        response_key = key()
        opened = len(bot.fake.calls_to("views.open"))
        await bot.slack.command(
            name, command=command, user_id=user, channel_id=channel, response_key=response_key
        )
        answer = await bot.fake.wait_for(  # an answer, or a form opened (no text: a form)
            lambda: (
                next((r for r in bot.fake.responses if r["_key"] == response_key), None)
                or (len(bot.fake.calls_to("views.open")) > opened and {"text": "(a form)"})
            ),
            what=f"the answer to {point} from {user}",
        )
        return answer.get("text") or ""
    told_before = len(told(bot, user))
    opened_before = len(bot.fake.calls_to("views.open"))
    posted_before = len(posted(bot, channel))
    resp = await bot.slack.interaction(interaction_for(point, user, channel, incident, prompt))
    assert resp.status == 200
    # Allowed: the form opens (post update), the update is posted in the war room, or the user
    # is told how it went. Refused: told why (a refusal posts nothing in the channel).
    await bot.fake.wait_for(
        lambda: (
            len(told(bot, user)) > told_before
            or len(bot.fake.calls_to("views.open")) > opened_before
            or len(posted(bot, channel)) > posted_before
        ),
        what=f"an answer to {point} from {user}",
    )
    new = told(bot, user)[told_before:]
    return "\n".join(p.get("text") or "" for p in new)


def posted(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """What the bot posted in the war room, reminders aside (they come on their own)."""
    return [p for p in posts_in(bot, channel) if not is_prompt(p)]


def told(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    """What the bot told `user`, ephemeral or by DM, in the order it was said (what Slack
    took: an ephemeral refused where the bot is not a member is followed by a DM)."""
    return [
        c.params
        for c in bot.fake.calls
        if c.ok
        and (
            (c.method == "chat.postEphemeral" and c.params.get("user") == user)
            or (c.method == "chat.postMessage" and c.params.get("channel") == user)
        )
    ]


async def declare_private_here(bot: RunningBot, channel: str) -> int:
    bot.fake.add_channel(channel, "secret-room", is_private=True, bot_member=True)  # invited
    bot.fake.channels[channel].members.update({"U111", "UGUEST", "UULTRA", "UEXTERN"})
    bot.fake.channels[channel].members.add("USTRANGER")
    await bot.slack.command("declare --here sev2 Matrix", channel_id=channel, response_key="d")
    await bot.fake.wait_for_response()
    async with bot.rt.db.session() as session:
        found = await session.get(Incident, 1)
    assert found is not None and found.private and found.channel_id == channel
    return found.id


# Entry points that do not act on one incident, so being outside a private one's channel does
# not matter: declaring (a new channel), an alert's triage card (no incident yet), checklist
# ticks, action-item and swap-request buttons (they name a checklist, an item or a request,
# checked by their own tests), the message shortcut (Slack offers it only on messages the
# person can see; its form, which names the incident, is checked), and a page DM's buttons
# (they name an escalation, and only a person it paged may press them: tests/paging checks it;
# a private incident's page brings that person into the room).
NOT_ABOUT_ONE_INCIDENT = {
    "shortcut:add_to_timeline",
    "action:alert_declare_incident",
    "action:alert_page_oncall",
    "action:alert_add_to_incident",
    "action:home_declare_incident",
    "shortcut:declare_incident",
    "action:checklist_tick",
    "action:followthrough_done",
    "action:followthrough_snooze",
    "action:paging_acknowledge",
    "action:paging_escalate",
    "action:oncall_swap_accept",  # a swap request's buttons name the request (tests/oncall)
    "action:oncall_swap_decline",
}


# The matrix runs in shards, each on its own bot and incident, so no one test takes a minute
# and the shards spread over the test processes.
SHARDS = 12


def shard_points(shard: int) -> list[str]:
    return sorted(ENTRY_POINTS)[shard::SHARDS]


@pytest.mark.parametrize("shard", range(SHARDS))
async def test_the_permission_matrix_generated_from_the_table(start_bot: Any, shard: int) -> None:
    points = shard_points(shard)
    bot = await start_bot(update_interval_seconds=3)
    add_users(bot)
    channel = "GSECRET"
    incident_id = await declare_private_here(bot, channel)
    await wait_for_prompts(bot, channel, 1)
    async with bot.rt.db.session() as session:
        prompt_id = (await session.exec(select(UpdatePrompt.id))).first()
    assert prompt_id is not None
    failures = []
    for point in points:
        action = action_for(point)
        for audience, users in USERS.items():
            for user in users:
                text = await answer_to(bot, point, user, channel, incident_id, prompt_id)
                refused = bool(REFUSED.search(text)) or COULD_NOT_CHECK in text
                if refused == (audience in action.allowed):
                    failures.append(f"{point} by {audience.value} {user}: {text[:120]!r}")
        if not point.startswith("/") and point not in NOT_ABOUT_ONE_INCIDENT:
            text = await answer_to(bot, point, "UOUTSIDE", channel, incident_id, prompt_id)
            refused = "This incident is private" in text
            if refused == (Audience.OUTSIDER in action.allowed):
                failures.append(f"{point} by someone not in the channel: {text[:120]!r}")
    assert failures == [], "\n".join(failures)
    # Refusals did nothing: only the member's updates were recorded (private: none announced).
    async with bot.rt.db.session() as session:
        rows = (await session.exec(select(TimelineEntry))).all()
    authors = {r.author_id for r in rows if r.kind in ("status_update", "postmortem", "action")}
    assert authors <= {"U111"}, authors
    broadcast = posts_in(bot, BROADCAST)
    assert all("Matrix declared" in p["text"] for p in broadcast), broadcast  # members' forms
    # The member's declare form, and the member not in the channel's: two, in that shard.
    assert len(broadcast) == (2 if "view:declare_incident" in points else 0)


def test_the_matrix_shards_cover_every_entry_point() -> None:
    shards = [shard_points(n) for n in range(SHARDS)]
    assert sorted(p for shard in shards for p in shard) == sorted(ENTRY_POINTS)
    assert all(shards)  # no shard passes with nothing to check


async def test_a_guest_snooze_click_changes_nothing(start_bot: Any) -> None:
    """The review's finding: the snooze button had no guest check."""
    from tests.support.incident_steps import click, declare, incident, wait_for_prompts

    bot = await start_bot(update_interval_seconds=1)
    bot.fake.add_user("UGUEST", is_restricted=True)
    channel = await declare(bot)
    [prompt] = (await wait_for_prompts(bot, channel, 1))[:1]
    before = await incident(bot)
    await bot.slack.interaction(click(bot, prompt, "snooze_update_prompt", "UGUEST", channel))
    answer = await bot.fake.wait_for(
        lambda: next((p for p in told(bot, "UGUEST")), None), what="the guest's answer"
    )
    assert "is for full members of the workspace" in answer["text"]
    assert "snoozing a reminder" in answer["text"]
    after = await incident(bot)
    assert "snoozed" not in str([p.get("text") for p in bot.fake.calls_to("chat.postMessage")])
    assert after.unanswered_prompts >= before.unanswered_prompts


@pytest.mark.slow  # users.info retried with its back-off
@pytest.mark.parametrize("failure", ["user_not_found", "lasting_500"])
async def test_unknown_users_are_refused_state_changes(bot: RunningBot, failure: str) -> None:
    """Fail closed: no account type, no change (users.info failing for good, or no such user)."""
    from tests.support.incident_steps import declare, entries, incident, run

    channel = await declare(bot)
    if failure != "user_not_found":  # UGHOST is in no workspace: user_not_found
        bot.fake.fail("users.info", status=500, times=1000)
    for text in ("status identified", "resolve", "update All good", "commander <@U222>"):
        answer = await run(bot, text, channel, user="UGHOST")
        assert COULD_NOT_CHECK in answer["text"], (text, answer)
        assert "did not make the change" in answer["text"]
    found = await incident(bot)
    assert (found.status, found.commander_id) == ("investigating", "U111")
    assert await entries(bot, "status_update") == []
    # Reading and notes do not need the account type.
    answer = await run(bot, "roles", channel, user="UGHOST")
    assert "Commander: <@U111>" in answer["text"]


async def test_an_action_item_in_the_postmortem_form_needs_a_member(bot: RunningBot) -> None:
    """The form itself is open to guests (postmortem entries); an action item in it is not."""
    from datetime import timedelta

    from storage.types import utcnow
    from tests.support.postmortem_helpers import declare_here

    incident = await declare_here(bot)
    bot.fake.add_user("UGUEST", is_restricted=True)
    due = (utcnow() + timedelta(days=14)).date().isoformat()
    values = {
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "action"}}},
        "text": {"value": {"type": "plain_text_input", "value": "Add a p99 latency alert"}},
        "priority": {"value": {"type": "static_select", "selected_option": {"value": "P1"}}},
        "owner": {"value": {"type": "users_select", "selected_user": "U222"}},
        "due": {"value": {"type": "datepicker", "selected_date": due}},
    }
    meta = json.dumps({"incident_id": incident.id, "channel_id": "C111", "factors": 0})
    for user in ("UGUEST", "U111"):
        await bot.slack.interaction(
            view_submission("postmortem_add", values, user_id=user, private_metadata=meta)
        )
    guest = await bot.fake.wait_for(lambda: told(bot, "UGUEST"), what="the guest's answer")
    assert "adding or closing action items is for full members" in guest[0]["text"]
    member = await bot.fake.wait_for(lambda: told(bot, "U111"), what="the member's answer")
    assert "Action item #1" in member[0]["text"], member
    async with bot.rt.db.session() as session:
        from storage.models.postmortem import ActionItem

        items = (await session.exec(select(ActionItem))).all()
    assert [i.created_by for i in items] == ["U111"]


def test_no_two_listeners_match_the_same_thing() -> None:
    """Bolt runs the first listener that matches: handlers.DOMAINS may be in layer order only
    because no two domains listen for the same event, action, view or shortcut (by its exact
    name: a pattern could match another's)."""
    recorder = Recorder()
    handlers.register_all(recorder)  # type: ignore[arg-type]
    seen = [(kind, what) for kind, what in recorder.seen if kind != "use"]
    assert all(isinstance(what, str) for _kind, what in seen)
    twice = sorted({x for x in seen if seen.count(x) > 1})
    assert not twice, f"listened for twice: {twice}"
