"""Every benchmark module answers `--help` (with each option's default) instead of running."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELPERS = ("__init__", "cli", "databases")  # shared by the bench modules, not run themselves
MODULES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in HELPERS)


@pytest.mark.parametrize("module", MODULES)
def test_bench_module_answers_help_with_its_defaults(module: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m bench.{module}"), result.stdout
    listed = result.stdout.split("\noptions:\n", 1)[1]
    entries = re.split(r"\n  (?=-)", "\n" + listed)  # one entry per option, wrapped help included
    for entry in entries:
        if entry.startswith("--"):
            assert "(default:" in entry, f"no default shown:\n{entry}"
    assert not list(tmp_path.iterdir())  # nothing ran: no database, no log
