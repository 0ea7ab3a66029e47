"""README, .env.example and manifest stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import handlers  # noqa: F401  (registers every subcommand)
from bot.core.settings import Settings
from bot.slack.grammar import registry

ROOT = Path(__file__).resolve().parent.parent


def commands_markdown() -> str:
    lines = []
    for command in registry.commands():
        lines.append(f"**`{command}`**\n")
        for sub in registry.subcommands(command):
            lines.append(f"- `{sub.synopsis}`: {sub.summary}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def test_readme_lists_every_subcommand_as_the_help_does() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- commands:start -->\n(.*?)<!-- commands:end -->", readme, re.S)
    assert block is not None
    expected = commands_markdown()
    assert block.group(1) == expected, "replace the README's commands block with:\n" + expected


def test_every_setting_is_documented_in_readme_and_env_example() -> None:
    readme = (ROOT / "README.md").read_text()
    env_example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in readme, name
        assert re.search(rf"^#? ?{name.upper()}=", env_example, re.M), name
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert documented == {n.upper() for n in Settings.model_fields}


if __name__ == "__main__":  # `python -m tests.test_docs_match_code` rewrites the README block
    readme_path = ROOT / "README.md"
    text = readme_path.read_text()
    readme_path.write_text(
        re.sub(
            r"(<!-- commands:start -->\n).*?(<!-- commands:end -->)",
            lambda m: m.group(1) + commands_markdown() + m.group(2),
            text,
            flags=re.S,
        )
    )
