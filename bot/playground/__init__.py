"""The playground (`python -m bot demo`, issue 30): the real bot driven as Slack drives it, with
no Slack workspace. `standin/` is the Web API stand-in the bot calls (the one the tests use too);
the page at `/` shows it as Slack would and sends the bot what Slack sends.

Not a Slack-facing domain: a layer of its own just below the app (bot/app/demo.py starts it),
so it may use bot.slack and bot.core, and nothing in the bot depends on it.
"""
