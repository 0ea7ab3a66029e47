"""Pure pieces of the declare path: names, arguments, escaping, the registry."""

from __future__ import annotations

import re

import pytest

from bot.core.errors import UserError
from bot.response.declare_args import DeclareArgs, parse_declare
from bot.response.war_room_steps import incident_channel_name, slugify
from bot.slack.grammar import CommandRegistry
from bot.slack.text import escape, parse_user_mention, unescape

VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@pytest.mark.parametrize(
    ("number", "title", "attempt", "expected"),
    [
        (1, "Checkout returns 500s", 0, "inc-1-checkout-returns-500s"),
        (7, "DB down!!!", 1, "inc-7-db-down-2"),
        (12, "Ünïcödé café — outage", 0, "inc-12-unicode-cafe-outage"),
        (3, "!!!", 0, "inc-3"),
        (3, "日本語のみ", 2, "inc-3-3"),
    ],
)
def test_channel_names(number: int, title: str, attempt: int, expected: str) -> None:
    assert incident_channel_name(number, title, attempt) == expected


def test_channel_names_are_always_valid_and_short() -> None:
    for title in ["x" * 500, "a-" * 100, " - leading and trailing - ", "UPPER case", "tab\there"]:
        for attempt in range(5):
            name = incident_channel_name(123456, title, attempt)
            assert VALID_NAME.match(name), name
            assert len(name) <= 80 and not name.endswith("-")


def test_slugify_keeps_only_lowercase_ascii() -> None:
    assert slugify("Hello, World_2!") == "hello-world-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev1 API down", DeclareArgs("API down", "sev1")),
        ("API down", DeclareArgs("API down", "sev3")),
        ("SEV2 API down", DeclareArgs("API down", "sev2")),
        ("--here sev4 Flaky", DeclareArgs("Flaky", "sev4", here=True)),
        ("sev2 --private Leak", DeclareArgs("Leak", "sev2", private=True)),
        ("sev1 sev2 is the title", DeclareArgs("sev2 is the title", "sev1")),
        ("a &lt;b&gt; &amp; c", DeclareArgs("a <b> & c", "sev3")),
        ("--service checkout sev2 Down", DeclareArgs("Down", "sev2", service="checkout")),
        ("sev1 --SERVICE=db Slow", DeclareArgs("Slow", "sev1", service="db")),
        ("Fire --service", DeclareArgs("Fire --service", "sev3")),  # after the title: of it
    ],
)
def test_parse_declare(text: str, expected: DeclareArgs) -> None:
    assert parse_declare(text, "sev3") == expected


@pytest.mark.parametrize("text", ["", "   ", "sev1", "--here", "--private sev2"])
def test_parse_declare_without_title_means_modal(text: str) -> None:
    assert parse_declare(text, "sev3") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--loud Fire", "`--loud` is not an option"),
        ("--here --private X", "don't go together"),
        ("x" * 201, "keep it under 200"),
        ("--service", "`--service` needs a service's name"),
        ("--service= Fire", "`--service` needs a service's name"),
    ],
)
def test_parse_declare_refusals(text: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        parse_declare(text, "sev3")


def test_escape_defuses_mentions_and_round_trips() -> None:
    raw = "<!channel> & <@U1> <!here>"
    assert escape(raw) == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;!here&gt;"
    assert unescape(escape(raw)) == raw


@pytest.mark.parametrize(
    ("token", "user"),
    [
        ("<@U123|alice>", "U123"),
        ("<@U123>", "U123"),
        ("<@W9ZZ>", "W9ZZ"),
        ("@alice", None),
        ("<#C1|x>", None),
        ("U123", None),
        ("<@u123>", None),
    ],
)
def test_parse_user_mention(token: str, user: str | None) -> None:
    assert parse_user_mention(token) == user


def test_registry_resolves_case_insensitively_and_refuses_duplicates() -> None:
    reg = CommandRegistry()

    @reg.subcommand("/x", "go", usage="<where>", summary="Go somewhere", aliases=("g",))
    async def go(ctx, args):
        return None

    sub, word, rest = reg.resolve("/x", "  GO far away ")
    assert sub is not None and sub.name == "go" and word == "GO" and rest == "far away"
    assert reg.resolve("/x", "g now")[0] is sub
    assert reg.resolve("/x", "stop")[0] is None
    assert "`/x go <where>`: Go somewhere" in reg.usage_text("/x")
    with pytest.raises(ValueError, match="declared twice"):
        reg.subcommand("/x", "g", summary="clash")(go)


def test_a_nameless_subcommand_takes_every_other_text_whole() -> None:
    """`/oncall payments 30`: the first word is a schedule, not a subcommand."""
    reg = CommandRegistry()

    @reg.subcommand("/x", "", usage="[schedule] [days]", summary="Show")
    async def show(ctx, args):
        return None

    @reg.subcommand("/x", "help", summary="Help")
    async def help_(ctx, args):
        return None

    sub, word, rest = reg.resolve("/x", "  payments 30 ")
    assert sub is not None and sub.handler is show and (word, rest) == ("", "payments 30")
    assert reg.resolve("/x", "")[0] is sub
    assert reg.resolve("/x", "HELP")[0] is not None and reg.resolve("/x", "help")[0].name == "help"
    assert (sub.synopsis, sub.entry_point) == ("/x [schedule] [days]", "/x")
    assert reg.resolve("/y", "payments")[0] is None  # only a command that has one


def test_the_help_lists_subcommands_in_their_order() -> None:
    """The order of `/incident help` and `/postmortem help` (handlers.HELP_ORDER) is deliberate:
    declaring first, then what you do during an incident, then after."""
    import handlers  # noqa: F401  (wiring the domains declares their subcommands)
    from bot.slack.grammar import registry

    def names(command: str) -> list[str]:
        return [s.name for s in registry.subcommands(command)]

    assert names("/incident") == [
        *("declare", "commander", "communicator", "role", "roles", "handoff", "status"),
        *("severity", "resolve", "reopen", "update", "cadence", "publish", "maintenance"),
        *("note", "log"),
        "timeline",
        *("page", "metric", "checklist", "runbook", "verify", "tag", "untag", "stats", "help"),
    ]
    assert names("/postmortem") == [
        *("summary", "impact", "factor", "why", "well", "poorly", "lesson", "action"),
        *("actions", "done", "verify", "ticket", "waive", "add", "draft", "export"),
        *("search", "publish", "help"),
    ]
    assert names("/oncall") == [
        *("", "override", "take", "overrides", "unoverride", "swap", "calendar", "report"),
        "help",
    ]
