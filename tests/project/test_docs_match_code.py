"""docs/, the README, .env.example and manifest stay true to the code.

The parts of docs/ written from the code (`make docs`, bench/docs.py) must be what the code
writes today; the architecture page's tree and domain order must match the packages and
tests/test_architecture.py; every setting is documented; the README's links lead somewhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import docs
from bot.core.settings import Settings
from tests import test_architecture

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"


@pytest.mark.parametrize("block", docs.BLOCKS, ids=lambda b: f"{b.page}:{b.name}")
def test_every_generated_part_of_the_docs_is_what_the_code_writes(block: docs.Block) -> None:
    held = docs.current(block)
    assert held is not None, f"docs/{block.page} lost its <!-- {block.name}:start/end --> markers"
    assert held == block.write(), f"docs/{block.page}: {block.name} is stale; run `make docs`"


def test_every_setting_is_documented_in_the_docs_and_env_example() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    env_example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert re.search(rf"^#? ?{name.upper()}=", env_example, re.M), name
    documented = re.findall(r"^\| `([A-Z_]+)` \|", page, re.M)
    assert sorted(documented) == sorted(n.upper() for n in Settings.model_fields)


def test_a_setting_without_a_meaning_or_a_meaning_without_a_setting_fails() -> None:
    meanings = docs.load_meanings()
    first = next(iter(meanings.values()))
    missing = next(iter(first))
    without = {t: {n: m for n, m in s.items() if n != missing} for t, s in meanings.items()}
    with pytest.raises(docs.DocsError, match=f"{missing} has no meaning"):
        docs.settings_markdown(without)
    extra = {**meanings, "Gone": {"NO_SUCH_SETTING": docs.Meaning("was removed")}}
    with pytest.raises(docs.DocsError, match=r"NO_SUCH_SETTING is in docs/settings\.yml but not"):
        docs.settings_markdown(extra)


def test_defaults_and_limits_come_from_the_code() -> None:
    table = docs.settings_markdown()
    default = Settings.model_fields["update_interval_seconds"].default
    assert f"| `UPDATE_INTERVAL_SECONDS` | `{default}` (≥ 1) |" in table
    assert "| `PROMPT_CLAIM_LEASE_SECONDS` | `120` (2 to 3600) |" in table
    assert "| `SLACK_BOT_TOKEN` | required |" in table
    assert "| `GITHUB_TOKEN` | required with `TICKETS=github` |" in table


# --- the configuration file's schema --------------------------------------------------------

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "description": "Sisyphus's configuration file.",
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "description": "The service catalog.",
            "type": "array",
            "items": {"$ref": "#/$defs/service"},
        },
        "checklists": {
            "description": "Checklists posted at declare.",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "items"],
                "properties": {
                    "name": {"type": "string", "description": "Shown above the checkboxes."},
                    "when": {
                        "type": "object",
                        "description": "All must match.",
                        "properties": {
                            "severity": {
                                "anyOf": [
                                    {"$ref": "#/$defs/severity"},
                                    {"type": "array", "items": {"$ref": "#/$defs/severity"}},
                                ],
                                "default": [],
                            }
                        },
                    },
                    "items": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "$defs": {
        "severity": {"type": "string", "enum": ["sev1", "sev2", "sev3", "sev4"]},
        "service": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "description": "What people call it | short."},
                "team": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "The owning team.",
                },
                "runbooks": {
                    "type": "array",
                    "items": {"type": "string", "format": "uri"},
                    "default": [],
                },
            },
        },
    },
}


def test_the_configuration_file_is_rendered_from_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "sisyphus.schema.json"
    path.write_text(json.dumps(SCHEMA))
    page = docs.config_file_markdown(path)
    assert page.startswith("## The configuration file\n\nSisyphus's configuration file.\n")
    assert "### `services`\n\nThe service catalog. Required; list of objects.\n" in page
    assert "| `name` | string | yes | What people call it \\| short. |" in page  # via $ref
    assert "| `runbooks` | list of strings (uri) | no | Default: `[]`. |" in page
    assert "### `checklists`\n\nChecklists posted at declare. Optional; list of objects." in page
    assert "| `team` | string | no | The owning team. |" in page  # null: not required
    assert (
        "| `when.severity` | one of `sev1`, `sev2`, `sev3`, `sev4`, or a list of them | no | "
        "Default: `[]`. |"
    ) in page
    assert "| `items` | list of strings | yes |" in page


def test_no_schema_no_configuration_file_section(tmp_path: Path) -> None:
    assert docs.config_file_markdown(tmp_path / "absent.json") == ""


# --- the architecture page ------------------------------------------------------------------


def _marked(name: str) -> str:
    found = re.search(
        rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", ARCHITECTURE.read_text(), re.S
    )
    assert found, f"docs/architecture.md lost its <!-- {name}:start/end --> markers"
    return found.group(1)


def tree_paths() -> list[str]:
    """The folders the layout tree names, in its order (`bot/app/`, `handlers/`, ...)."""
    return re.findall(r"^([a-z_]+(?:/[a-z_]+)*/)(?:\s|$)", _marked("tree"), re.M)


def packages_under_bot() -> set[str]:
    return {
        f"{p.parent.relative_to(ROOT).as_posix()}/"
        for p in (ROOT / "bot").rglob("__init__.py")
        if p.parent != ROOT / "bot"
    }


def test_the_architecture_page_gives_the_domains_in_their_order() -> None:
    said = re.findall(r"`([a-z_]+)`", _marked("domains"))
    assert said == list(test_architecture.DOMAINS), (
        "docs/architecture.md's domain order differs from tests/test_architecture.py's DOMAINS"
    )
    in_tree = [p.split("/")[1] for p in tree_paths() if p.count("/") == 2 and p.startswith("bot/")]
    domains = [d for d in in_tree if d in test_architecture.DOMAINS]
    assert domains == list(test_architecture.DOMAINS), "the tree lists the domains out of order"


def test_the_architecture_tree_names_every_package_and_only_those() -> None:
    named = tree_paths()
    assert named, "no tree found"
    missing = sorted(p for p in named if not (ROOT / p).is_dir())
    assert not missing, f"docs/architecture.md names folders that do not exist: {missing}"
    absent = sorted(packages_under_bot() - set(named))
    assert not absent, f"add these packages to docs/architecture.md's tree: {absent}"


# --- the README -----------------------------------------------------------------------------


def test_the_readme_links_lead_somewhere() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert local, "the README links into docs/"
    assert [link for link in local if not (ROOT / link).exists()] == []


def test_every_file_the_docs_name_exists() -> None:
    """A path in backticks (`bot/slack/tiers.py`, `deploy/kubernetes/`) names a real file."""
    tops = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    pages = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = [
        f"{page.relative_to(ROOT)}: {path}"
        for page in pages
        for path in re.findall(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`", page.read_text())
        if path.split("/")[0] in tops and not (ROOT / path).exists()
    ]
    assert missing == [], "the docs name files that do not exist"
