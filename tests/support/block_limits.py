"""Re-exported from the stand-in (bot/playground/standin/block_limits.py): Block Kit's limits,
checked by tests directly (`check_message_blocks`) and by the stand-in (`problems`)."""

from bot.playground.standin.block_limits import (
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT,
    MAX_VIEW_BLOCKS,
    check_message_blocks,
    problems,
)

__all__ = ["MAX_MESSAGE_BLOCKS", "MAX_TEXT", "MAX_VIEW_BLOCKS", "check_message_blocks", "problems"]
