"""Putting what people typed into mrkdwn: escaping, excerpts, links, and splitting long text
into section-sized pieces, nothing lost and nothing broken.

The splitting cases use small limits so that each cut can be worked out by hand; the bot cuts at
3,000 characters by the same rules. Several cases come from mutation testing (bench/MUTATION.md).
"""

from __future__ import annotations

import re

import pytest

from bot.slack.mrkdwn import (
    escape_keeping_mentions,
    link,
    pages_of,
    safe_url,
    shorten,
    split_for_sections,
)
from bot.slack.text import excerpt, mention, unescape


def test_pieces_fit_a_section_and_join_back_to_the_whole() -> None:
    for typed in ["&" * 2500, "word <@U123|al> " * 400, "<@U12345678>" * 300, "a\nb " * 900]:
        text = escape_keeping_mentions(typed)
        pieces = split_for_sections(text)
        assert all(len(p) <= 3000 for p in pieces)
        assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", text)
        for piece in pieces:  # no piece starts or ends inside `&amp;` or `<@U1>`
            assert piece.count("&") == piece.count(";")
            assert piece.count("<") == piece.count(">")


def test_short_text_is_one_piece() -> None:
    assert split_for_sections("hello") == ["hello"]
    assert split_for_sections("") == [""]


LINK = "<https://e.co|a b c>"  # a link whose label has spaces: a cut there would break it


@pytest.mark.parametrize(
    ("text", "limit", "pieces"),
    [
        ("a b", 3, ["a b"]),  # exactly the limit: one piece
        ("aaaa bbbbbb", 8, ["aaaa", "bbbbbb"]),  # at the last space
        ("aaaa b c dddd", 9, ["aaaa b c", "dddd"]),  # the last space, not the first
        ("aaaaa\nb cdddddd", 9, ["aaaaa", "b cdddddd"]),  # a line break before a later space
        ("aaa \nbbbbbbb", 8, ["aaa", "bbbbbbb"]),  # no blank kept at the end of a piece
        ("aaaa\n\tbbbb", 6, ["aaaa", "\tbbbb"]),  # only line breaks and spaces dropped
        ("aaaa Xbbb", 6, ["aaaa", "Xbbb"]),
        ("a bbbbbbbbbb", 8, ["a bbbbbb", "bbbb"]),  # no space in the second half: cut anywhere
        ("aaa bbbbbbbbb", 9, ["aaa bbbbb", "bbbb"]),
        ("abcdefg&amp;xyz", 10, ["abcdefg", "&amp;xyz"]),  # never inside `&amp;`
        ("x" * 20 + " y " + LINK + " tail", 40, ["x" * 20 + " y", LINK + " tail"]),
        ("x" * 15 + " yyyy" + LINK + " tail", 38, ["x" * 15 + " yyyy", LINK + " tail"]),
    ],
)
def test_where_long_text_is_cut(text: str, limit: int, pieces: list[str]) -> None:
    assert split_for_sections(text, limit) == pieces


def test_mentions_of_people_and_channels_stay_and_the_rest_is_escaped() -> None:
    assert escape_keeping_mentions("a <@U1|al> & <#C2|ops>") == "a <@U1> &amp; <#C2>"
    assert escape_keeping_mentions("hi <!channel>") == "hi &lt;!channel&gt;"
    assert escape_keeping_mentions("hello") == "hello"


def test_links_only_to_web_addresses_of_a_sane_length() -> None:
    base = "https://example.com/"
    longest = base + "a" * (2000 - len(base))
    assert safe_url(longest) == longest
    assert safe_url(longest + "a") is None
    assert link(longest, "runbook") == f"<{longest}|runbook>"
    assert link("javascript:alert(1)", "runbook") == "runbook"
    assert link(None, "runbook") == "runbook"


def test_excerpts_quote_a_short_escaped_piece_of_what_was_typed() -> None:
    assert excerpt("a  \n b <!here>") == "a b &lt;!here&gt;"
    assert excerpt("x" * 60) == "x" * 60  # at the limit: all of it
    assert excerpt("x" * 61) == "x" * 59 + "…"
    assert excerpt("ab cd", limit=4) == "ab…"  # no blank before the ellipsis


def test_people_are_mentioned_or_the_role_shows_unassigned() -> None:
    assert mention("U1") == "<@U1>"
    assert mention(None) == "_unassigned_"
    assert mention("") == "_unassigned_"


def test_control_characters_are_dropped_from_what_is_stored() -> None:
    assert unescape("a\x00b\x1b[31mc\x7f\td\n&lt;") == "ab[31mc\td\n<"


@pytest.mark.parametrize(
    ("lines", "limit", "pages"),
    [
        (["aaa", "bbb", "ccc"], 8, [["aaa", "bbb"], ["ccc"]]),  # a line and its break: 4 each
        (["aaaa", "bb", "c"], 8, [["aaaa", "bb"], ["c"]]),
        (["x" * 5, "y"], 5, [["x" * 5], ["y"]]),  # a line of the limit fits a page of its own
        (["x" * 5, "aaa", "bbb"], 8, [["x" * 5], ["aaa", "bbb"]]),  # a new page starts empty
        (["x" * 10], 5, [["xxxx…"]]),  # a longer line is cut
        ([], 5, [[]]),
    ],
)
def test_lists_are_paged_by_whole_lines(
    lines: list[str], limit: int, pages: list[list[str]]
) -> None:
    assert pages_of(lines, limit) == pages


def test_quoted_text_is_shortened_to_one_line_with_an_ellipsis() -> None:
    assert shorten("a  \n b", 10) == "a b"
    assert shorten("x" * 10, 10) == "x" * 10  # at the limit: all of it
    assert shorten("ab cd", 4) == "ab…"
    assert shorten("x" * 11, 10) == "x" * 9 + "…"
