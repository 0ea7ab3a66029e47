"""The sections of CONFIG_FILE (sisyphus.yml): each domain's front door names its own (its shape
is a pydantic model the domain owns), in the order of handlers.DOMAINS; this list is what the
loader (bot/core/config_file.py) and the JSON Schema are made of.
`python -m handlers.config_sections` writes the schema to sisyphus.schema.json (a test checks
that the committed file is what this generates).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.core.config_file import Config, ConfigPaths, ConfigSection, json_schema, load_config
from handlers import DOMAINS

SECTIONS: list[ConfigSection[Any]] = [d.config_section for d in DOMAINS if d.config_section]
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "sisyphus.schema.json"


def load_configuration(settings: ConfigPaths) -> Config:
    """CONFIG_FILE (and CHECKLISTS_FILE), checked; ConfigFileError with every problem."""
    return load_config(settings, SECTIONS)


def schema_text() -> str:
    """sisyphus.schema.json as it must be."""
    return json.dumps(json_schema(SECTIONS), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
