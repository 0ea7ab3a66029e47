"""Slack's size limits: long user text never breaks a card, a form or a settings check."""

from __future__ import annotations

from pathlib import Path

from bot.incidents.cards import card_blocks
from bot.postmortem.modal import MODAL_TEXT_LIMIT
from bot.response.declare_modal import MAX_DESCRIPTION, read_declare_submission
from storage.models.incidents import Incident
from storage.types import utcnow
from tests.core.test_settings import run_bot


def test_a_long_description_fits_in_the_cards_section_without_a_broken_entity() -> None:
    incident = Incident(
        id=1,
        title="t",
        severity="sev2",
        declared_by="U1",
        commander_id="U1",
        declared_at=utcnow(),
        description="<&>" * 1000,
    )
    texts = [b["text"]["text"] for b in card_blocks(incident) if b.get("text")]
    assert all(len(t) <= 3000 for t in texts)
    described = texts[-1]
    assert described.endswith("(cut here)")
    assert described.replace(" … (cut here)", "").endswith(("&lt;", "&amp;", "&gt;"))


def test_the_declare_form_refuses_an_over_long_description() -> None:
    view = {
        "state": {
            "values": {
                "title": {"value": {"value": "DB down"}},
                "description": {"value": {"value": "x" * (MAX_DESCRIPTION + 1)}},
            }
        },
        "private_metadata": "{}",
    }
    args, _, _, errors = read_declare_submission(view, "sev3")
    assert args is None and "description" in errors


def test_form_inputs_stay_within_slacks_3000_character_cap() -> None:
    assert MODAL_TEXT_LIMIT <= 3000


def test_an_invalid_log_level_is_one_clear_line(tmp_path: Path) -> None:
    result = run_bot(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s" * 10, "LOG_LEVEL": "verbose"},
        tmp_path,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]
