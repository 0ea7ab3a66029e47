"""CONFIG_FILE (sisyphus.yml): its schema, its example, and every problem of a broken copy named
with its line, all at once, by `python -m bot check` and by the refused start-up."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.checklists.config import CHECKLISTS, ChecklistFileError, parse_checklists
from bot.core.config_file import parse
from bot.incidents.services import SERVICES, Service
from handlers.config_sections import SCHEMA_FILE, SECTIONS, schema_text
from tests.conftest import StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.incident_steps import declare, posts_in
from tests.support.process import ROOT, bot_env, spawn_bot_process

EXAMPLE = ROOT / "sisyphus.example.yml"

# One problem of each kind, each on its own line (the comments say which).
BROKEN = """\
services:
  - name: checkout
    team: [payments]
    runbooks:
      - ftp://wiki.example.com/checkout
  - name: checkout
    owner: payments
  - description: no name
checklists:
  - name: SEV1
    when: {severity: sev9}
    items: []
colour: blue
"""
BROKEN_PROBLEMS = [
    "line 3: `services[0].team` must be a text",
    "line 5: `ftp://wiki.example.com/checkout` is not an http(s) link",
    "line 6: a second service named `checkout` (each needs its own name)",
    "line 7: unknown key `owner` "
    "(use name, team, description, runbooks, oncall, escalation_policy, components)",
    "line 8: this service has no `name`",
    "line 11: `sev9` is not a severity (one of sev1, sev2, sev3, sev4)",
    "line 12: checklist `SEV1` has no items",
    "line 13: unknown section `colour` "
    "(the sections are services, checklists, slos, oncall, status_page)",
]
NOT_YAML = "services:\n  - name: checkout\n   team: payments\n"


def run_bot(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot [args]` as a user runs it, in `cwd`, with only `env` set of ours."""
    ours = ("SLACK_", "DATABASE_", "CONFIG_FILE", "CHECKLISTS_FILE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Settings that pass, on a Slack that cannot be reached (a refused start never gets there)."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
        "SLACK_API_URL": "http://127.0.0.1:9/",
        **extra,
    }


def config_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "] config file" in line]


# --- the schema and the example -------------------------------------------------------------


def test_the_committed_schema_is_generated_from_the_sections() -> None:
    assert SCHEMA_FILE == ROOT / "sisyphus.schema.json"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "sisyphus.schema.json is stale: run `python -m handlers.config_sections`"
    )


def test_the_schema_is_a_draft_2020_12_schema_that_editors_can_use() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {s.name for s in SECTIONS}
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        assert definition["additionalProperties"] is False, name
        assert definition.get("description"), name
        for field, spec in definition["properties"].items():
            assert spec.get("description"), f"{name}.{field}"


def test_the_example_is_valid_by_the_schema_and_by_the_bot() -> None:
    text = EXAMPLE.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=./sisyphus.schema.json"
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))
    values, given, problems = parse(text, SECTIONS)
    assert problems == [] and given == {"services", "checklists", "slos", "oncall"}
    services = values["services"]
    assert [s.name for s in services] == ["checkout", "database", "search"]
    assert services[0] == Service(
        name="checkout",
        team="payments",
        description="Takes the customers' money",
        runbooks=("https://wiki.example.com/runbooks/checkout",),
        oncall="payments",
        escalation_policy="payments",
    )
    assert [s.name for s in values["oncall"].schedules] == ["payments"]
    assert [p.name for p in values["oncall"].escalation_policies] == ["payments"]
    # The same checklists as checklists.example.yml, the older file.
    legacy, _, _ = parse((ROOT / "checklists.example.yml").read_text(), [CHECKLISTS], CHECKLISTS)
    assert values["checklists"] == legacy["checklists"]


def test_the_schema_refuses_what_the_bot_refuses() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    found = {tuple(e.absolute_path) for e in validator.iter_errors(yaml.safe_load(BROKEN))}
    assert {
        ("services", 0, "team"),
        ("services", 0, "runbooks", 0),
        ("services", 1),  # owner: not a key of a service
        ("services", 2),  # no name
        ("checklists", 0, "when", "severity"),
        (),  # colour: not a section
    } <= found


# --- a broken copy: every problem with its line, at once ----------------------------------------


async def test_check_names_every_problem_of_a_broken_copy_with_its_line(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    broken = tmp_path / "sisyphus.yml"
    broken.write_text(BROKEN)
    env = bot_env(database_url, fake_slack.base_url, 0, CONFIG_FILE=str(broken))
    out = tmp_path / "check.out"
    proc = await spawn_bot_process(env, out, "check")
    assert await asyncio.wait_for(proc.wait(), 30) == 1
    lines = out.read_text().splitlines()
    assert config_lines("\n".join(lines)) == [
        f"[FAIL] config file: CONFIG_FILE {broken}, {problem}" for problem in BROKEN_PROBLEMS
    ]
    assert lines[0] == "[ok] settings" and lines[-1] == "1 check(s) failed", lines


def test_the_bot_refuses_to_start_naming_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    result = run_bot(start_env(tmp_path, CONFIG_FILE=str(broken)), tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: CONFIG_FILE {broken}, {problem}" for problem in BROKEN_PROBLEMS
    ]


def test_yaml_that_does_not_parse_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "sisyphus.yml").write_text(NOT_YAML)
    result = run_bot(start_env(tmp_path), tmp_path)  # the default file, in the directory
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: CONFIG_FILE sisyphus.yml, line 3: not valid YAML ("), line
    checked = run_bot(start_env(tmp_path), tmp_path, "check")
    [problem] = config_lines(checked.stdout)
    assert problem.startswith("[FAIL] config file: CONFIG_FILE sisyphus.yml, line 3: not valid")


def test_a_duplicated_key_and_a_wrong_type_in_a_list(tmp_path: Path) -> None:
    text = "services:\n  - name: a\n    name: b\n    runbooks: https://wiki.example.com/a\n"
    _, _, problems = parse(text, SECTIONS)
    assert [(p.line, p.problem) for p in problems] == [
        (3, "`name` appears twice"),
        (4, "`services[0].runbooks` must be a list (lines starting with `- `)"),
    ]


def test_text_that_yaml_reads_as_a_number_or_a_yes(tmp_path: Path) -> None:
    text = "checklists:\n  - name: 42\n    items:\n      - 500\n      - yes\n"
    _, _, problems = parse(text, SECTIONS)
    assert [(p.line, p.problem) for p in problems] == [
        (5, "YAML reads this as true or false: put the text in quotes")
    ]
    values, _, _ = parse(text.replace("yes", "'yes'"), SECTIONS)
    assert values["checklists"][0].name == "42" and values["checklists"][0].items == ("500", "yes")


def test_every_problem_of_a_checklists_file_is_named_too() -> None:
    """CHECKLISTS_FILE used to stop at its first problem."""
    text = (
        "checklists:\n  - name: A\n    item: [x]\n"
        "  - name: B\n    items: [x]\n    when: {severity: sev0}\n"
    )
    with pytest.raises(ChecklistFileError) as caught:
        parse_checklists(text, "/etc/sisyphus/checklists.yml")
    assert str(caught.value).splitlines() == [
        "/etc/sisyphus/checklists.yml, line 2: this checklist has no `items`",
        "/etc/sisyphus/checklists.yml, line 3: unknown key `item` (use name, when, items)",
        "/etc/sisyphus/checklists.yml, line 6: `sev0` is not a severity "
        "(one of sev1, sev2, sev3, sev4)",
    ]


def test_broken_settings_and_a_broken_file_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "sisyphus.yml").write_text("services: {}\n")
    result = run_bot({}, tmp_path, "check")
    assert result.returncode == 1
    assert "[FAIL] settings: SLACK_BOT_TOKEN is required" in result.stdout
    assert config_lines(result.stdout) == [
        "[FAIL] config file: CONFIG_FILE sisyphus.yml, line 1: `services` must be a list "
        "(lines starting with `- `)"
    ]


# --- where the file is, and CHECKLISTS_FILE -------------------------------------------------


def test_a_config_file_that_was_named_must_exist_the_default_need_not(tmp_path: Path) -> None:
    result = run_bot(start_env(tmp_path, CONFIG_FILE=str(tmp_path / "nope.yml")), tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: CONFIG_FILE {tmp_path / 'nope.yml'} does not exist "
        "(unset CONFIG_FILE to run without one)"
    ]
    checked = run_bot(start_env(tmp_path), tmp_path, "check")
    assert config_lines(checked.stdout) == [
        "[skip] config file: no sisyphus.yml in this directory "
        "(optional: services, checklists, slos, oncall, status_page)"
    ]


def test_checklists_in_both_places_is_an_error_naming_both(tmp_path: Path) -> None:
    legacy = ROOT / "checklists.example.yml"
    env = start_env(tmp_path, CONFIG_FILE=str(EXAMPLE), CHECKLISTS_FILE=str(legacy))
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: CHECKLISTS_FILE ({legacy}) and the `checklists` section of CONFIG_FILE "
        f"({EXAMPLE}) both set the checklists: keep one of them"
    ]
    # A file with services only, beside CHECKLISTS_FILE, is fine: each says its own part.
    services_only = tmp_path / "services.yml"
    services_only.write_text("services:\n  - name: checkout\n")
    env["CONFIG_FILE"] = str(services_only)
    checked = run_bot(env, tmp_path, "check")
    assert config_lines(checked.stdout) == [
        f"[ok] config file: CONFIG_FILE {services_only} and CHECKLISTS_FILE {legacy}: "
        "1 service, 3 checklists, 0 SLOs, 0 on-call schedules, no status page"
    ]


# --- the domains get their sections ------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "sisyphus.yml"
    path.write_text(
        "services:\n"
        "  - name: checkout\n"
        "    team: payments\n"
        "checklists:\n"
        "  - name: Every SEV2\n"
        "    when: {severity: sev2}\n"
        "    items: [Name a communicator]\n"
    )
    return path


async def test_a_bot_started_with_the_file_uses_its_sections(
    start_bot: StartBot, config_file: Path
) -> None:
    bot = await start_bot(config_file=str(config_file))
    assert bot.rt.config.get(SERVICES) == (Service(name="checkout", team="payments"),)
    channel = await declare(bot)  # a sev2
    await bot.fake.wait_for(
        lambda: any("Checklist for" in p.get("text", "") for p in posts_in(bot, channel)),
        what="the checklist of the config file in the war room",
    )
