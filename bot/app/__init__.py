"""The process: start-up, the command line, the HTTP surface.

bot/app.py moved here as bot/app/bolt.py (as issue 9's layout has it) because a package
bot/app/ shadows a module bot/app.py; its names are re-exported for the old imports.
"""

from bot.app.bolt import build_bolt_app, slack_request_id

__all__ = ["build_bolt_app", "slack_request_id"]
