"""User text in the Markdown draft: kept whole, never changing the document's structure."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.postmortem.markdown import block, cell, inline, slack_to_plain

STRUCTURAL = re.compile(r"^ {0,3}([#>+\-*=_|`~\[]|\d+[.)])")


def test_line_starts_that_would_change_structure_are_escaped() -> None:
    text = (
        "# Title\n> quote\n- item\n+ item\n* item\n1. one\n2) two\n```\n~~~\n===\n| a | b |\n[x]: y"
    )
    rendered = block(text, "  ")
    lines = rendered.split("\n")
    assert lines[0] == "\\# Title"
    assert all(line.startswith("  ") for line in lines[1:])
    assert all(not STRUCTURAL.match(line.strip()) for line in lines)


def test_html_and_pipes_are_neutralised() -> None:
    assert block("<script>x</script> a|b") == "&lt;script>x&lt;/script> a\\|b"
    assert cell("a|b\nc\\|d") == "a\\|b<br>c\\\\\\|d"
    assert inline("Title #2\nsecond line") == "Title \\#2 second line"


def test_slack_markup_becomes_readable() -> None:
    names = {"U2": "bob"}
    text = "<@U1|ann> <@U2> <#C1|ops> <!here> <https://x.io/a|docs> <mailto:a@b.c>"
    assert slack_to_plain(text, names) == "@ann @bob #ops @here docs (https://x.io/a) mailto:a@b.c"


@given(st.text())
def test_a_table_cell_never_breaks_its_row(text: str) -> None:
    rendered = cell(text)
    assert "\n" not in rendered and "\r" not in rendered
    unescaped_pipes = re.findall(r"(?<!\\)(?:\\\\)*\|", rendered)
    assert unescaped_pipes == []


@given(st.text())
def test_a_block_never_starts_a_new_structure(text: str) -> None:
    rendered = block(text, "  ")
    lines = rendered.split("\n")
    assert not STRUCTURAL.match(lines[0])
    for line in lines[1:]:
        assert line == "" or line.startswith("  ")
        assert not STRUCTURAL.match(line[2:]) if line else True
    assert "<" not in rendered
