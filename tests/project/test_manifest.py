"""manifest.yml is a valid Slack manifest and asks for exactly what the code uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

import handlers  # noqa: F401  (registers every subcommand)
from bot.slack.grammar import registry

ROOT = Path(__file__).resolve().parents[2]
# Source: ../shared/slack/manifest.schema.1.0.0.json (slackapi/manifest-schema, MIT licence)
SCHEMA = json.loads(
    (Path(__file__).parents[1] / "support" / "manifest.schema.1.0.0.json").read_text()
)

# The bot-token scopes each Web API method needs (from each method's page on docs.slack.dev).
# Public and private channels: a method that works on both needs both scopes.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "openid_connect_token": set(),  # Sign in with Slack: the app's client id and secret
    "apps_connections_open": set(),  # app-level token (connections:write), not a bot scope
    "conversations_create": {"channels:manage", "groups:write"},
    "conversations_invite": {"channels:manage", "groups:write"},
    "conversations_setTopic": {"channels:manage", "groups:write"},
    "conversations_join": {"channels:join"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_members": {"channels:read", "groups:read"},
    # types=private_channel only (the web archive): groups:read
    "users_conversations": {"groups:read"},
    "conversations_open": {"im:write"},
    "conversations_history": {"channels:history", "groups:history"},
    "conversations_replies": {"channels:history", "groups:history"},
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_getPermalink": set(),
    "views_open": set(),
    "views_update": set(),
    "views_push": set(),
    "views_publish": set(),
    "users_info": {"users:read"},
    "users_lookupByEmail": {"users:read.email"},
    "usergroups_users_list": {"usergroups:read"},
    "files_upload_v2": {"files:write"},
    "files_info": {"files:read"},
    "canvases_create": {"canvases:write"},
    "conversations_canvases_create": {"canvases:write"},
    "pins_add": {"pins:write"},
    "reactions_add": {"reactions:write"},
}
# Events the code listens to -> the manifest's bot_events and the scope each needs.
EVENT_SUBSCRIPTIONS: dict[str, dict[str, str]] = {
    "message": {"message.channels": "channels:history", "message.groups": "groups:history"},
    "reaction_added": {"reaction_added": "reactions:read"},
    "reaction_removed": {"reaction_removed": "reactions:read"},
    "pin_added": {"pin_added": "pins:read"},
    "pin_removed": {"pin_removed": "pins:read"},
    "member_joined_channel": {"member_joined_channel": "channels:read"},
    "app_home_opened": {"app_home_opened": ""},  # needs no scope
    # The war room archived, renamed, left (issue 14): public channels, then private ones
    "channel_archive": {"channel_archive": "channels:read"},
    "channel_unarchive": {"channel_unarchive": "channels:read"},
    "channel_rename": {"channel_rename": "channels:read"},
    "group_archive": {"group_archive": "groups:read"},
    "group_unarchive": {"group_unarchive": "groups:read"},
    "group_rename": {"group_rename": "groups:read"},
    "member_left_channel": {"member_left_channel": "channels:read"},
    # The install: no scope needed
    "tokens_revoked": {"tokens_revoked": ""},
    "app_uninstalled": {"app_uninstalled": ""},
}


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def product_sources() -> str:
    files = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]
    return "\n".join(p.read_text() for p in files)


def methods_used() -> set[str]:
    return set(re.findall(r"client\.([a-z][A-Za-z_0-9]+)\(", product_sources()))


def events_listened() -> set[str]:
    source = product_sources()
    events = set(re.findall(r"\.event\(\s*[\"']([a-z_]+)[\"']", source))
    events.update(re.findall(r"event_type\s*==\s*[\"']([a-z_]+)[\"']", source))
    # message events: a listener, or the middleware that stores them before Bolt matches any
    if re.search(r"\bapp\.message\(", source) or re.search(r"only=[\"']message[\"']", source):
        events.add("message")
    return events


def test_manifest_validates_against_slacks_schema() -> None:
    jsonschema.validate(manifest(), SCHEMA)


def test_slash_commands_are_the_ones_the_code_handles_and_escape_mentions() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert sorted(c["command"] for c in commands) == sorted(registry.commands())
    assert all(c["should_escape"] is True for c in commands)


def test_every_web_api_method_the_code_calls_has_a_known_scope() -> None:
    unknown = methods_used() - METHOD_SCOPES.keys()
    assert not unknown, f"add these methods and their scopes to METHOD_SCOPES: {unknown}"


def test_scopes_and_events_are_exactly_what_the_code_uses() -> None:
    m = manifest()
    events = events_listened()
    unknown_events = events - EVENT_SUBSCRIPTIONS.keys()
    assert not unknown_events, unknown_events
    wanted_events = {name for e in events for name in EVENT_SUBSCRIPTIONS[e]}
    wanted_scopes = {"commands"}
    for method in methods_used():
        wanted_scopes |= METHOD_SCOPES[method]
    for event in events:
        wanted_scopes |= set(EVENT_SUBSCRIPTIONS[event].values()) - {""}
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(wanted_scopes)
    assert sorted(m["settings"]["event_subscriptions"].get("bot_events") or []) == sorted(
        wanted_events
    )


def test_shortcuts_are_the_ones_the_code_handles() -> None:
    source = product_sources()
    handled = set(re.findall(r"\.shortcut\(\s*([A-Z_]+|[\"'][a-z_]+[\"'])", source))
    constants = dict(re.findall(r"^([A-Z_]+) = [\"']([a-z_]+)[\"']", source, re.M))
    callbacks = {constants.get(h, h.strip("\"'")) for h in handled}
    shortcuts = manifest()["features"]["shortcuts"]
    assert (
        {s["callback_id"] for s in shortcuts}
        == callbacks
        == {
            "declare_incident",
            "add_to_timeline",
        }
    )
    kinds = {s["callback_id"]: s["type"] for s in shortcuts}
    assert kinds == {"declare_incident": "global", "add_to_timeline": "message"}
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True
