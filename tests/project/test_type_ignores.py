"""Every `# type: ignore` that mypy checks names its error code and says why, on the same line.

mypy itself (`make test`) fails on an ignore that is no longer needed (warn_unused_ignores).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPLAINED = re.compile(r"# type: ignore\[[a-z-]+(, ?[a-z-]+)*\]  # \S")


def unexplained(source: str) -> list[int]:
    """Line numbers of ignores without a code and a reason."""
    return [
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
        and "type: ignore" in token.string
        and not EXPLAINED.match(token.string)
    ]


def test_the_check_catches_an_ignore_without_a_reason() -> None:
    source = (
        "a = f()  # type: ignore[misc]  # f is untyped\n"
        "b = g()  # type: ignore[misc]\n"
        "c = h()  # type: ignore\n"
        '"""# type: ignore in a docstring is not a comment"""\n'
    )
    assert unexplained(source) == [2, 3]


def test_every_type_ignore_says_why() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("bot", "handlers", "storage")
        for path in (ROOT / package).rglob("*.py")
        for line in unexplained(path.read_text())
    }
    assert not found, f"# type: ignore[code] without '  # why' after it: {sorted(found)}"
