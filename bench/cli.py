"""What every bench module shares: `--help` with each option's default, and progress bars."""

from __future__ import annotations

import argparse
from typing import Any

from tqdm import tqdm


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Each option's default after its help; the module's docstring as written."""


def bench_parser(doc: str | None, prog: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=f"python -m {prog}", description=doc, formatter_class=_Formatter
    )


def progress(total: int, what: str, **kwargs: Any) -> tqdm:
    """A progress bar on stderr for a long step (hidden when stderr is not a terminal)."""
    return tqdm(total=total, desc=what, unit=kwargs.pop("unit", "it"), leave=False, **kwargs)
