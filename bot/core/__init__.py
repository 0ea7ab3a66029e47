"""What every layer shares: settings, the runtime (database, Slack client, scheduler), errors,
logs, metrics.
"""
