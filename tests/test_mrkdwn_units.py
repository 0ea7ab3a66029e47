"""Splitting long mrkdwn into section-sized pieces: nothing lost, nothing broken."""

from __future__ import annotations

import re

from bot.slack.mrkdwn import escape_keeping_mentions, split_for_sections


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
